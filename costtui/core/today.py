"""The one "today" of every command: $COSTTUI_TODAY, else the config's demo_today, else the UTC date."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from costtui.model import CostError

TODAY_ENV = "COSTTUI_TODAY"


def resolve_today(pinned_in_config: date | None = None) -> date:
    """Days are UTC dates everywhere (DESIGN.md), so "today" is too. Tests and back-tests pin it with
    $COSTTUI_TODAY=YYYY-MM-DD to run any face as of a past date."""
    pinned = os.environ.get(TODAY_ENV)
    if pinned:
        try:
            return date.fromisoformat(pinned.strip())
        except ValueError:
            raise CostError(f"${TODAY_ENV}: must be a date YYYY-MM-DD (got {pinned!r})") from None
    return pinned_in_config or datetime.now(UTC).date()
