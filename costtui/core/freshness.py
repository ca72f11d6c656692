"""How old each provider's data is: the one rule `check`, the API and the dashboard use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costtui.cache import CostQueries


def data_age_seconds(queries: CostQueries, providers: tuple[str, ...]) -> int | None:
    """Seconds since the data was fetched: the oldest of the selected providers' last successful
    fetch (a cache from demo or import has none: then when it was published)."""
    if providers:
        published = queries.published_at()
        stamps = [queries.last_success(provider) or published for provider in providers]
        as_of = None if any(stamp is None for stamp in stamps) else min(stamps)
    else:
        as_of = queries.data_as_of()
    if as_of is None:
        return None
    now = datetime.now(UTC).replace(tzinfo=None)  # the cache stores naive UTC
    return max(0, int((now - as_of).total_seconds()))
