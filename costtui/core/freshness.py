"""How fresh each provider's data is: the one rule `check`, alerts, Prometheus, the API and the dashboard use.

The age that matters is the age of each selected provider's data (its last successful
fetch), not the cache file's: a refresh that publishes AWS while Azure fails leaves a new
file holding old Azure data. A provider is *fresh* only when its newest fetch succeeded and
that success is no older than the maximum age."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from costtui.cache import CostQueries, FetchHistory

Verdict = Literal["fresh", "stale", "failed"]


@dataclass(frozen=True)
class ProviderFreshness:
    """One provider's freshness at `now` (all datetimes naive UTC, as the cache stores them)."""

    provider: str
    last_success: datetime | None
    """Newest successful fetch; for a provider with no fetch record (demo, import) when the
    cache was published; None when it never succeeded."""
    last_attempt: datetime | None
    """Newest fetch, successful or not; None when no fetch is recorded (demo, import)."""
    last_status: str | None
    """"ok", "error" or None (no fetch recorded)."""
    error_kind: str | None
    """Kind of the newest fetch's failure (unreachable, timeout, throttled, ...), else None."""
    error: str | None
    """First line of the newest fetch's error message, else None."""
    failing_since: datetime | None
    """First failed fetch after the last success (when the trouble began), else None."""
    age_seconds: int | None
    """Seconds from last_success to now; None when it never succeeded."""
    max_age_seconds: float

    @property
    def known(self) -> bool:
        """False for a provider the cache has neither fetched nor holds rows of (no data to judge)."""
        return self.last_attempt is not None or self.last_success is not None

    @property
    def failed(self) -> bool:
        return self.last_status is not None and self.last_status != "ok"

    @property
    def stale(self) -> bool:
        return self.age_seconds is None or self.age_seconds > self.max_age_seconds

    @property
    def fresh(self) -> bool:
        return not self.failed and not self.stale

    @property
    def verdict(self) -> Verdict:
        """failed (its newest fetch failed) beats stale (too old or never fetched) beats fresh."""
        return "failed" if self.failed else "stale" if self.stale else "fresh"

    @property
    def since(self) -> datetime | None:
        """Since when it is not fresh: the first failure, or when its data stopped being current."""
        return self.failing_since if self.failed else self.last_success

    def describe(self) -> str:
        """One line for a human: which provider, what is wrong, since when, the error's first line."""
        data = (f"data from {_stamp(self.last_success)} ({describe_seconds(self.age_seconds)} old)"
                if self.age_seconds is not None else "no successful fetch yet")
        if self.failed:
            since = f" since {_stamp(self.failing_since)}" if self.failing_since else ""
            return f"{self.provider}: fetch failing{since} [{self.error_kind or 'error'}]: {self.error}; {data}"
        if self.stale:
            return f"{self.provider}: {data}, older than {describe_seconds(self.max_age_seconds)}"
        return f"{self.provider}: {data}"


@dataclass(frozen=True)
class FreshnessFacts:
    """What the cache says about its providers' fetches, read once (a face that judges
    later, like the dashboard with its own clock, keeps this and calls judge_freshness)."""

    histories: tuple[FetchHistory, ...]
    providers_with_rows: frozenset[str]
    published_at: datetime | None


def read_freshness_facts(queries: CostQueries) -> FreshnessFacts:
    return FreshnessFacts(
        tuple(queries.fetch_histories()), frozenset(queries.providers()), queries.published_at()
    )


def provider_freshness(
    queries: CostQueries,
    providers: Sequence[str] = (),
    now: datetime | None = None,
    max_age_seconds: float = 36 * 3600,
) -> list[ProviderFreshness]:
    """The freshness of each provider, in the order asked (default: every provider the cache
    knows from its fetches or its cost rows, sorted).

    For `/api/health/ready` and any face: the data is trustworthy when every entry is
    `.fresh`; otherwise each bad entry's `.describe()` says why in one line, `.verdict`
    ("failed" | "stale") and `.since` say what and since when. An entry with `.known` False is
    a provider the cache has nothing of (asked for by name). `now` defaults to the current UTC
    time; `max_age_seconds` is usually `cache.max_age_hours * 3600` (or check's --max-age)."""
    return judge_freshness(read_freshness_facts(queries), providers, now, max_age_seconds)


def judge_freshness(
    facts: FreshnessFacts,
    providers: Sequence[str] = (),
    now: datetime | None = None,
    max_age_seconds: float = 36 * 3600,
) -> list[ProviderFreshness]:
    """The one rule, on facts already read (see provider_freshness for the meaning)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    histories = {history.provider: history for history in facts.histories}
    wanted = list(providers) or sorted(set(histories) | facts.providers_with_rows)
    result = []
    for provider in wanted:
        history = histories.get(provider)
        last_success = history.last_success if history else None
        if history is None and provider in facts.providers_with_rows:
            last_success = facts.published_at  # rows from demo or import, never fetched: as fresh as their publication
        age = None if last_success is None else max(0, int((now - last_success).total_seconds()))
        failed = history is not None and history.last_status != "ok"
        result.append(
            ProviderFreshness(
                provider=provider,
                last_success=last_success,
                last_attempt=history.last_attempt if history else None,
                last_status=history.last_status if history else None,
                error_kind=history.error_kind if failed else None,
                error=_first_line(history.error_message) if failed else None,
                failing_since=history.failing_since if failed else None,
                age_seconds=age,
                max_age_seconds=max_age_seconds,
            )
        )
    return result


def oldest_age(freshness: Sequence[ProviderFreshness]) -> int | None:
    """The oldest provider's data age in seconds (None if any provider never succeeded or none given)."""
    ages = [entry.age_seconds for entry in freshness]
    return None if not ages or any(age is None for age in ages) else max(ages)  # type: ignore[type-var]


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


def describe_seconds(seconds: float) -> str:
    """A short human form of a duration: `45 s`, `90 min`, `36 h`, `2.5 d`."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{seconds / 86400:.1f} d".replace(".0 d", " d")


def _stamp(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "unknown"


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0][:300] if lines else "no message"
