"""Blob Storage retries that fail fast on dead endpoints and back off on throttling, within a deadline."""

from __future__ import annotations

import random
import time
from typing import Any

from azure.storage.blob import ExponentialRetry

CONNECT_RETRIES = 2  # a refused or reset connection: two quick retries, then give up
QUICK_PAUSE_S = 0.5
THROTTLE_PAUSE_S = (1.0, 30.0)  # first and longest pause while storage answers 500/503 (ServerBusy)


class BoundedRetry(ExponentialRetry):
    """Short pauses when no answer came (connection refused, reset, timed out); growing
    pauses when storage answered but is busy; no retry that would end past `deadline`
    (a time.monotonic() value, set per fetch)."""

    def __init__(self, retry_total: int = 8, deadline: float | None = None) -> None:
        super().__init__(
            retry_total=retry_total,
            retry_connect=min(CONNECT_RETRIES, retry_total),
            retry_read=min(CONNECT_RETRIES, retry_total),
            retry_status=retry_total,
        )
        self.deadline = deadline

    def increment(self, settings: dict[str, Any], request: Any, response: Any = None, error: Any = None) -> bool:
        retry = super().increment(settings, request, response, error)
        if not retry:
            return False
        settings["next_pause"] = pause = self._pause(settings)
        return self.deadline is None or time.monotonic() + pause < self.deadline

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        return settings.pop("next_pause", QUICK_PAUSE_S)

    @staticmethod
    def _pause(settings: dict[str, Any]) -> float:
        history = settings["history"]
        answered = [entry for entry in history if entry.http_response is not None]
        if not history or history[-1].http_response is None:
            return QUICK_PAUSE_S * random.uniform(0.5, 1.0)
        first, longest = THROTTLE_PAUSE_S
        return min(longest, first * 2 ** (len(answered) - 1)) * random.uniform(0.5, 1.0)
