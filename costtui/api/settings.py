"""What the API needs from the config and the command line, resolved once at start-up."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

TOKEN_ENV = "COSTTUI_API_TOKEN"


def default_query_slots() -> int:
    """DuckDB uses every core for one query: more concurrent queries than cores only queue inside."""
    return max(2, os.cpu_count() or 2)


@dataclass(frozen=True)
class ApiSettings:
    cache_path: Path
    today: Callable[[], date]
    token: str | None = None
    default_days: int = 30
    metric: str = "billed"
    gross: bool = False
    max_age_hours: float = 36.0
    top_services_per_account: int = 20
    tag_keys: tuple[str, ...] = ()  # [allocation] tag_keys, named in the OpenAPI document
    tag_labels: tuple[str, ...] = ()  # export.tag_labels: tag keys as labels in /metrics
    # Bounds: every answer is finite, and a saturated server says so rather than queueing.
    default_limit: int = 1000  # rows of a breakdown page when `limit` is not given
    max_day_span: int = 366  # days in one answer at day granularity
    query_slots: int = 0  # concurrent cache queries (0: one per core, at least 2)
    query_queue: int = 64  # requests waiting for a slot; beyond it: 503 at once
    queue_wait_seconds: float = 2.0  # longest wait for a slot before 503
    request_timeout_seconds: float = 30.0  # a query still running then answers 503
    memo_bytes: int = 64 * 1024 * 1024  # answers remembered per snapshot
    warm_poll_seconds: float = 1.0  # how often to look for a new snapshot to warm /metrics for (0: never)
    warm_start_seconds: float = 2.0  # at start, wait this long at most for the first warm-up before serving

    @property
    def slots(self) -> int:
        return self.query_slots or default_query_slots()
