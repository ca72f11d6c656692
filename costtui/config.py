"""The TOML configuration as validated pydantic models, and where to find it."""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from costtui.model import CostError

APP_NAME = "costtui"
CONFIG_ENV = "COSTTUI_CONFIG"
CACHE_ENV = "COSTTUI_CACHE"


class ConfigError(CostError):
    """The config file cannot be used; the message names the file and key."""


class Section(BaseModel):
    # Unknown keys are mistakes (a typo silently ignored would disable a threshold).
    model_config = ConfigDict(extra="forbid", validate_default=True)


class CacheConfig(Section):
    path: Path | None = None
    """Cache database file; default the platform's user data dir."""
    max_age_hours: float = Field(default=36.0, gt=0)
    """Data older than this is stale: the TUI shows a banner, `check` says UNKNOWN."""
    lock_timeout_seconds: float = Field(default=600.0, ge=0)
    """How long a refresh waits for another refresh to finish."""


class DisplayConfig(Section):
    default_days: int = Field(default=30, ge=1)
    """Days shown when no range is chosen."""
    metric: Literal["billed", "effective"] = "billed"
    gross: bool = False
    """True shows costs before credits."""
    top_services: int = Field(default=10, ge=1)
    auto_refresh_seconds: int = Field(default=0, ge=0)
    """Reload the dashboard from the cache this often; 0 turns it off."""


class AwsConfig(Section):
    enabled: bool = False
    profile: str | None = None
    role_arn: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    source: Literal["cost_explorer", "data_exports"] = "cost_explorer"
    bucket: str | None = None
    prefix: str = ""
    restatement_days: int = Field(default=3, ge=0)
    """Days before today re-fetched each refresh, besides any day still estimated."""


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


class GcpConfig(Section):
    enabled: bool = False
    project_id: str | None = None
    table: str | None = None
    location: str | None = None
    api_endpoint: str | None = None
    anonymous: bool = False
    restatement_days: int = Field(default=5, ge=0)


class FocusConfig(Section):
    enabled: bool = False
    paths: list[Path] = Field(default_factory=list)
    """FOCUS CSV / CSV.gz / Parquet files or folders refreshed like a provider."""


class ProvidersConfig(Section):
    aws: AwsConfig = Field(default_factory=AwsConfig)
    azure: AzureConfig = Field(default_factory=AzureConfig)
    gcp: GcpConfig = Field(default_factory=GcpConfig)
    focus: FocusConfig = Field(default_factory=FocusConfig)


class ThresholdRule(Section):
    name: str
    period: Literal["day", "month", "forecast"] = "month"
    provider: str | None = None
    account: str | None = None
    service: str | None = None
    warning: float | None = None
    critical: float | None = None
    currency: str | None = None


class AnomalyConfig(Section):
    enabled: bool = True
    window_days: int = Field(default=14, ge=3)
    sensitivity: float = Field(default=3.0, gt=0)
    """Flag a day further than this many deviations from its trailing window."""


class EmailConfig(Section):
    enabled: bool = False
    smtp_host: str = "localhost"
    smtp_port: int = 25
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    """Name of the environment variable holding the SMTP password."""
    sender: str = "costtui@localhost"
    recipients: list[str] = Field(default_factory=list)


class WebhookConfig(Section):
    enabled: bool = False
    url: str | None = None
    url_env: str | None = None
    """Name of an environment variable holding the URL (webhook URLs are secrets)."""


class NotificationsConfig(Section):
    email: EmailConfig = Field(default_factory=EmailConfig)
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)


class AlertsConfig(Section):
    thresholds: list[ThresholdRule] = Field(default_factory=list)
    anomaly: AnomalyConfig = Field(default_factory=AnomalyConfig)
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)


class ExportConfig(Section):
    top_services_per_account: int = Field(default=20, ge=1)
    """Prometheus label cardinality cap; the rest are summed as `other`."""


class ServeConfig(Section):
    host: str = "127.0.0.1"
    port: int = 8765


class Config(Section):
    cache: CacheConfig = Field(default_factory=CacheConfig)
    display: DisplayConfig = Field(default_factory=DisplayConfig)
    providers: ProvidersConfig = Field(default_factory=ProvidersConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    currency_rates: dict[str, float] = Field(default_factory=dict)
    """Optional fixed rates to one currency; without them currencies are never summed."""
    demo_today: date | None = None
    """Pin "today" (tests and reproducible screenshots)."""


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def default_cache_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "cache.duckdb"


def resolve_config_path(explicit: str | os.PathLike | None) -> tuple[Path, bool]:
    """The config file to read, and whether the user named it (then it must exist)."""
    if explicit:
        return Path(explicit), True
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]), True
    return default_config_path(), False


def resolve_cache_path(explicit: str | os.PathLike | None, config: Config) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if config.cache.path:
        return Path(config.cache.path).expanduser()
    return default_cache_path()


def load_config(explicit: str | os.PathLike | None = None) -> Config:
    """Read and validate the config; a missing default file means defaults."""
    path, named = resolve_config_path(explicit)
    if not path.exists():
        if named:
            raise ConfigError(f"{path}: config file not found")
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict, source: Path | str = "<config>") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """First problem as `key.path: what is wrong`, in the user's terms."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"]) or "<root>"
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "required key missing"
    else:
        message = error["msg"]
        if "input" in error and not isinstance(error["input"], (dict, list)):
            message += f" (got {error['input']!r})"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{key}: {message}{suffix}"
