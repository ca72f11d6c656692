"""Allocation tags as the faces ask for them: which keys the cache has, tag filters as users write
them (`team=payments`, `team:payments`, `team=` for untagged), and coverage (the share of spend
that carries each configured key, per provider). Grouping by `tag:KEY` is an ordinary breakdown
(core/reports.py); this module adds what is particular to tags."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.core.windows import period_window
from costtui.model import CostQuery, normalise_tag_key

if TYPE_CHECKING:
    from costtui.cache import CostQueries

UNTAGGED = "(untagged)"  # how tables and the dashboard show a missing tag (JSON: null, CSV: empty)


class TagFilterError(ValueError):
    """A tag filter that is not KEY<sep>VALUE (the message says what was given)."""


def tag_keys(queries: CostQueries) -> list[str]:
    """The tag keys the cache has columns for, in the order they were configured."""
    return list(queries.tag_columns())


def parse_tag_filter(text: str, separator: str, known_keys: Iterable[str] | None = None) -> tuple[str, str | None]:
    """`KEY<sep>VALUE` -> (key, value); an empty value means untagged (None). A key may itself hold
    the separator (`aws:team:payments`): with `known_keys` the longest key the text starts with wins,
    else the first separator splits."""
    for key in sorted(known_keys or (), key=len, reverse=True):
        if text.startswith(key + separator):
            return key, text[len(key) + len(separator):] or None
    key, found, value = text.partition(separator)
    if not found or not normalise_tag_key(key):
        raise TagFilterError(f"{text!r} is not KEY{separator}VALUE (KEY{separator} alone selects untagged spend)")
    return normalise_tag_key(key), value or None


def with_tags(selection: CostQuery, tags: Iterable[tuple[str, str | None]]) -> CostQuery:
    return replace(selection, tags=(*selection.tags, *tags))


@dataclass(frozen=True, slots=True)
class TagCoverage:
    """How much of one provider's spend carries one tag key, in that provider's currency."""

    provider: str
    key: str
    currency: str
    tagged: Decimal
    total: Decimal

    @property
    def ratio(self) -> Decimal | None:
        """tagged / total, None when the provider spent nothing (a ratio of nothing is no 0%)."""
        return self.tagged / self.total if self.total else None

    @property
    def untagged(self) -> Decimal:
        return self.total - self.tagged


def tag_coverage(queries: CostQueries, selection: CostQuery) -> list[TagCoverage]:
    """Coverage per provider and configured key over `selection` (its filters, metric, net/gross).
    A ratio never mixes currencies: a provider billed in several is measured in the one it spends
    most in."""
    main: dict[str, tuple[str, Decimal, dict[str, Decimal]]] = {}
    for provider, currency, total, tagged in queries.tag_coverage(selection):
        if provider not in main or abs(total) > abs(main[provider][1]):
            main[provider] = (currency, total, tagged)
    return [TagCoverage(provider, key, currency, tagged[key], total)
            for provider, (currency, total, tagged) in sorted(main.items()) for key in tagged]


def month_to_date_coverage(queries: CostQueries, selection: CostQuery, today: date) -> list[TagCoverage]:
    """Coverage over month to date, the period Prometheus' cost gauges report."""
    window = period_window("month", today)
    return tag_coverage(queries, replace(selection, start=window.start, end=window.end, group_by=()))
