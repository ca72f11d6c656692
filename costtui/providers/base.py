"""What every provider offers: fetch a day range as cost rows, check credentials."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from costtui.model import CostError, FetchResult
from costtui.tagrules import TagRules


class ProviderError(CostError):
    """A provider could not fetch; `kind` classifies it, `hint` says how to fix it.

    Messages never contain secrets: SDK errors are summarised, not echoed."""

    def __init__(
        self, message: str, kind: str = "error", hint: str | None = None, api_calls: int = 0
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.hint = hint
        self.api_calls = api_calls  # requests made (and billed) before the failure

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (hint: {self.hint})" if self.hint else text


@dataclass(frozen=True)
class RefreshPolicy:
    """How `refresh` treats one provider; each provider declares its own (refresh.py knows none).

    restatement_days: days before today fetched again every time (the cloud restates them).
    min_interval_hours: a paid API is not fetched again sooner than this after a success (0: always).
    timeout_seconds: the fetch's deadline; past it the provider is recorded as failed (kind timeout)."""

    restatement_days: int = 3
    min_interval_hours: float = 0.0
    timeout_seconds: float = 300.0


@dataclass
class FetchContext:
    """What a provider needs to know about the cache without touching it."""

    start: date
    end: date  # inclusive
    workdir: Path  # private scratch folder for staged files, removed after the refresh
    known_objects: dict[str, str] = field(default_factory=dict)  # object key -> ETag already ingested
    estimated_days: list[date] = field(default_factory=list)
    deadline: float | None = None  # time.monotonic() by which the fetch must be over; None: unbounded
    tags: TagRules = field(default_factory=TagRules)  # [allocation]: which tags the rows keep

    def seconds_left(self, default: float) -> float:
        """Time left before the deadline (at least a little, so a last call can still fail cleanly)."""
        if self.deadline is None:
            return default
        return max(0.1, min(default, self.deadline - time.monotonic()))


class Provider(Protocol):
    name: str
    """Provider name as stored in the cache: aws, azure, gcp, focus, demo."""
    source: str
    """Which source of that provider, for the fetches table (cost_explorer, exports...)."""
    policy: RefreshPolicy
    """Restatement window, minimum interval and deadline of this provider's refreshes."""

    def check_auth(self) -> None:
        """Raise ProviderError explaining what is missing; return if all is well."""

    def fetch(self, context: FetchContext) -> FetchResult:
        """Fetch the context's inclusive day range and normalise it to cost rows."""
