"""The shape of the TOML configuration: frozen stdlib dataclasses with their defaults.

Plain dataclasses, not pydantic models, so that reading an already-validated config
costs no pydantic import (see `stamp.py`); pydantic validates a new or changed file
against these same classes (see `validation.py`). Bounds are `Annotated` markers
that pydantic and `rules.py` (the check both readings run first) read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from costtui.model import normalise_tag_key


class Min:
    """value >= bound, checked when pydantic validates the file."""

    def __init__(self, bound: float) -> None:
        self.bound = bound

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return {**handler(source), "ge": self.bound}


class Above:
    """value > bound, checked when pydantic validates the file."""

    def __init__(self, bound: float) -> None:
        self.bound = bound

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return {**handler(source), "gt": self.bound}


class Max:
    """value <= bound: keeps values inside what dates, ports and queries can represent."""

    def __init__(self, bound: float) -> None:
        self.bound = bound

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return {**handler(source), "le": self.bound}


Port = Annotated[int, Min(1), Max(65535)]
Days = Annotated[int, Min(0), Max(366)]
Hours = Annotated[float, Min(0), Max(8784)]  # a leap year
Timeout = Annotated[float, Above(0), Max(86400)]  # seconds
Money = Annotated[Decimal, Min(-1e12), Max(1e12)]  # inside the cache's DECIMAL(18,6)


class Section:
    # Unknown keys are mistakes (a typo silently ignored would disable a threshold).
    __pydantic_config__ = {"extra": "forbid"}


DEFAULT_PROVIDER_TIMEOUT_SECONDS = 300.0
"""A provider still fetching after this long is recorded as failed and the others are published."""


@dataclass(frozen=True)
class CacheConfig(Section):
    path: Path | None = None
    """Cache database file; default the platform's user data dir."""
    max_age_hours: Annotated[float, Above(0), Max(8784)] = 36.0
    """Data older than this is stale: the TUI shows a banner, `check` says UNKNOWN."""
    lock_timeout_seconds: Annotated[float, Min(0), Max(86400)] = 600.0
    """How long a refresh waits for another refresh to finish."""


@dataclass(frozen=True)
class DisplayConfig(Section):
    default_days: Annotated[int, Min(1), Max(3660)] = 30
    """Days shown when no range is chosen."""
    metric: Literal["billed", "effective"] = "billed"
    gross: bool = False
    """True shows costs before credits."""
    top_services: Annotated[int, Min(1), Max(1000)] = 10
    auto_refresh_seconds: Annotated[int, Min(0), Max(86400)] = 0
    """Reload the dashboard from the cache this often; 0 turns it off."""


@dataclass(frozen=True)
class AwsConfig(Section):
    enabled: bool = False
    profile: str | None = None
    role_arn: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    source: Literal["cost_explorer", "data_exports"] = "cost_explorer"
    bucket: str | None = None
    prefix: str = ""
    restatement_days: Days = 3
    """Days before today re-fetched each refresh, besides any day still estimated."""
    min_refresh_hours: Hours = 6.0
    """Cost Explorer bills each request (USD 0.01) and updates a few times a day: a refresh
    within this many hours of the last good fetch skips AWS. 0 fetches every time."""
    timeout_seconds: Timeout = DEFAULT_PROVIDER_TIMEOUT_SECONDS
    """Deadline of one fetch; past it the provider is recorded as failed (kind timeout)."""


@dataclass(frozen=True)
class AzureConfig(Section):
    enabled: bool = False
    account_url: str | None = None
    connection_string_env: str | None = None
    """Name of the environment variable holding a connection string (never the string)."""
    container: str | None = None
    path: str = ""
    dataset: Literal["actual", "focus"] = "actual"
    amortized_path: str | None = None
    api_version: str | None = None
    timeout_seconds: Timeout = DEFAULT_PROVIDER_TIMEOUT_SECONDS
    """Deadline of one fetch; past it the provider is recorded as failed (kind timeout)."""


@dataclass(frozen=True)
class GcpConfig(Section):
    enabled: bool = False
    project_id: str | None = None
    table: str | None = None
    location: str | None = None
    api_endpoint: str | None = None
    anonymous: bool = False
    restatement_days: Days = 5
    timeout_seconds: Timeout = DEFAULT_PROVIDER_TIMEOUT_SECONDS
    """Deadline of one fetch; past it the provider is recorded as failed (kind timeout)."""


@dataclass(frozen=True)
class FocusConfig(Section):
    enabled: bool = False
    paths: list[Path] = field(default_factory=list)
    """FOCUS CSV / CSV.gz / Parquet files or folders refreshed like a provider."""
    timeout_seconds: Timeout = DEFAULT_PROVIDER_TIMEOUT_SECONDS
    """Deadline of one fetch; past it the provider is recorded as failed (kind timeout)."""


@dataclass(frozen=True)
class ProvidersConfig(Section):
    aws: AwsConfig = field(default_factory=AwsConfig)
    azure: AzureConfig = field(default_factory=AzureConfig)
    gcp: GcpConfig = field(default_factory=GcpConfig)
    focus: FocusConfig = field(default_factory=FocusConfig)


@dataclass(frozen=True)
class ThresholdRule(Section):
    name: str
    period: Literal["day", "month", "forecast"] = "month"
    provider: str | None = None
    account: str | None = None
    service: str | None = None
    warning: Money | None = None
    critical: Money | None = None
    currency: str | None = None
    tag: dict[str, str] = field(default_factory=dict)
    """Only spend with these tags, e.g. {team = "payments"} (keys of allocation.tag_keys; "" = untagged)."""


@dataclass(frozen=True)
class AnomalyConfig(Section):
    enabled: bool = True
    window_days: Annotated[int, Min(3), Max(366)] = 14
    sensitivity: Annotated[float, Above(0), Max(1000)] = 3.0
    """Flag a day further than this many deviations from its trailing window."""


@dataclass(frozen=True)
class EmailConfig(Section):
    enabled: bool = False
    smtp_host: str = "localhost"
    smtp_port: Port = 25
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    """Name of the environment variable holding the SMTP password."""
    sender: str = "costtui@localhost"
    recipients: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookConfig(Section):
    enabled: bool = False
    url: str | None = None
    url_env: str | None = None
    """Name of an environment variable holding the URL (webhook URLs are secrets)."""


@dataclass(frozen=True)
class NotificationsConfig(Section):
    email: EmailConfig = field(default_factory=EmailConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)


@dataclass(frozen=True)
class AlertsConfig(Section):
    thresholds: list[ThresholdRule] = field(default_factory=list)
    anomaly: AnomalyConfig = field(default_factory=AnomalyConfig)
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)


@dataclass(frozen=True)
class ExportConfig(Section):
    top_services_per_account: Annotated[int, Min(1), Max(10000)] = 20
    """Prometheus label cardinality cap; the rest are summed as `other`."""
    tag_labels: tuple[str, ...] = ()
    """Tag keys (of allocation.tag_keys) added as labels to costtui_month_to_date_cost_by_tag, e.g.
    ["team"]. Off by default: each value is a new series (cardinality)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tag_labels", tuple(normalise_tag_key(k) for k in self.tag_labels))


MAX_TAG_KEYS = 10
"""Tags are high-cardinality: only a handful of configured keys become cost dimensions."""
TAG_KEY_PATTERN = r"[A-Za-z0-9_.:/ -]{1,64}"
"""What a configured tag key may be after trimming (cloud tag keys in practice)."""


@dataclass(frozen=True)
class AllocationConfig(Section):
    tag_keys: tuple[str, ...] = ()
    """Tag (label) keys kept as cost dimensions, matched after trimming spaces. A change takes
    effect on the next refresh or import of the data (see README, "Allocation tags")."""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Other spellings merged into a configured key, e.g. environment = ["env", "Environment"]."""

    def __post_init__(self) -> None:
        # Stored trimmed, so every source matches and every writer names columns the same way.
        object.__setattr__(self, "tag_keys", tuple(normalise_tag_key(k) for k in self.tag_keys))
        object.__setattr__(
            self,
            "aliases",
            {normalise_tag_key(k): tuple(normalise_tag_key(a) for a in v) for k, v in self.aliases.items()},
        )


@dataclass(frozen=True)
class ServeConfig(Section):
    host: str = "127.0.0.1"
    port: Port = 8765


@dataclass(frozen=True)
class Config(Section):
    cache: CacheConfig = field(default_factory=CacheConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    providers: ProvidersConfig = field(default_factory=ProvidersConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    allocation: AllocationConfig = field(default_factory=AllocationConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    currency_rates: dict[str, Annotated[Decimal, Above(0)]] = field(default_factory=dict)
    """Optional fixed rates to one currency; without them currencies are never summed."""
    demo_today: date | None = None
    """Pin "today" (tests and reproducible screenshots)."""
