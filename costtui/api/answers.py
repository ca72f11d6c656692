"""The answers' JSON bodies, computed from the core on one snapshot. Pure functions of (snapshot,
question): that is what makes them safe to remember per snapshot (`memo.py`).

Money is written from the Decimal as a JSON number (`exactjson`), never through float."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.core.freshness import FreshnessFacts, ProviderFreshness, read_freshness_facts
from costtui.core.reports import breakdown, records, summary
from costtui.core.tags import tag_coverage
from costtui.core.windows import Window
from costtui.exactjson import encode_json
from costtui.model import CostQuery, percent_change

if TYPE_CHECKING:
    from costtui.cache import CostQueries


def encode(value: Any) -> bytes:
    return (encode_json(value) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class Page:
    """Which rows of a breakdown: `limit` rows from `offset`, in the answer's order."""

    limit: int
    offset: int = 0


def header(query: CostQuery) -> dict[str, Any]:
    """What every cost answer starts with: the window and switches it was computed for."""
    return {
        "start_date": query.start,
        "end_date": query.end,
        "metric": query.metric,
        "gross": query.gross,
        "filters": {
            name: list(values)
            for name, values in (
                ("provider", query.providers),
                ("account", query.accounts),
                ("service", query.services),
                ("region", query.regions),
                ("tag", tuple(f"{key}:{value or ''}" for key, value in query.tags)),
            )
            if values
        },
    }


def summary_body(queries: CostQueries, query: CostQuery) -> bytes:
    window = Window(query.start, query.end, "")  # type: ignore[arg-type]
    result = summary(queries, query, window)
    metric = f"{query.metric}_cost"
    return encode(
        {
            **header(query),
            "data_as_of": result.data_as_of,
            "totals": [
                {
                    "currency": currency,
                    metric: cost,
                    f"previous_{metric}": result.previous_totals.get(currency, Decimal(0)),
                    "change_percent": percent_change(cost, result.previous_totals.get(currency, Decimal(0))),
                }
                for currency, cost in sorted(result.totals.items())
            ],
            "providers": records(result.providers, ("provider",), query.metric),
            "previous_period": {"start_date": result.previous_window.start, "end_date": result.previous_window.end},
            "tag_coverage": coverage_records(queries, query),
        }
    )


def coverage_records(queries: CostQueries, query: CostQuery) -> list[dict[str, Any]]:
    """Per provider and configured tag key, the window's spend carrying the key (no scan without tags)."""
    if not queries.tag_columns():
        return []
    return [{"provider": entry.provider, "tag_key": entry.key, "currency": entry.currency,
             "tagged_cost": entry.tagged, "total_cost": entry.total,
             "ratio": None if entry.ratio is None else entry.ratio.quantize(Decimal("0.000001"))}
            for entry in tag_coverage(queries, replace(query, group_by=()))]


def grouped_rows(queries: CostQueries, query: CostQuery) -> tuple[str, ...]:
    """Each row's JSON, time buckets first then largest cost first: the core's order, which is total,
    so a page walk with `offset` sees every row exactly once within one snapshot. Encoded once per
    snapshot; pages are slices of it."""
    return tuple(encode_json(row) for row in records(breakdown(queries, query), query.group_by, query.metric))


def grouped_body(query: CostQuery, grain: str, rows: tuple[str, ...], page: Page | None) -> bytes:
    fields = [(key, encode_json(value)) for key, value in header(query).items()]
    fields.append(("granularity", encode_json(grain)))
    if page is None:
        fields += [("rows", "[" + ", ".join(rows) + "]"), ("truncated", "false")]
    else:
        end = page.offset + page.limit
        more = len(rows) > end
        fields += [
            ("rows", "[" + ", ".join(rows[page.offset:end]) + "]"),
            ("truncated", encode_json(more)),  # rows after this page exist
            ("offset", str(page.offset)),
            ("limit", str(page.limit)),
            ("next_offset", str(end) if more else "null"),
            ("total_rows", str(len(rows))),
        ]
    return ("{" + ", ".join(f"{json.dumps(key)}: {value}" for key, value in fields) + "}\n").encode("utf-8")


def by(query: CostQuery, group_by: tuple[str, ...]) -> CostQuery:
    return replace(query, group_by=group_by)


def probe(queries: CostQueries) -> FreshnessFacts:
    """Reads every column of every charge (a corrupt block anywhere fails here, not in a user's
    request later), then the facts the one freshness rule judges (core/freshness.py)."""
    queries.read_every_charge()
    return read_freshness_facts(queries)


def freshness_facts(queries: CostQueries) -> FreshnessFacts:
    return read_freshness_facts(queries)


def provider_states(freshness: list[ProviderFreshness]) -> list[dict[str, Any]]:
    """Each provider's freshness, judged now by the core's rule, for readiness."""
    return [
        {
            "provider": entry.provider,
            "verdict": entry.verdict,
            "last_success": entry.last_success,
            "age_seconds": entry.age_seconds,
            "failing_since": entry.failing_since,
            "error_kind": entry.error_kind,
            "error": entry.error,
            "reason": None if entry.fresh else entry.describe(),
        }
        for entry in freshness
    ]


def fetch_facts(freshness: list[ProviderFreshness]) -> list[dict[str, Any]]:
    """The summary's freshness block: facts fixed by the snapshot (when each provider last fetched
    well, whether its newest fetch failed, since when, why). Ages and the stale verdict move with
    the clock, so /api/health/ready judges those on each request."""
    return [
        {
            "provider": entry.provider,
            "last_success": entry.last_success,
            "last_fetch_failed": entry.failed,
            "failing_since": entry.failing_since,
            "error_kind": entry.error_kind,
            "error": entry.error,
        }
        for entry in freshness
    ]


def with_field(body: bytes, name: str, value: Any) -> bytes:
    """A JSON object's bytes with one more field at its end."""
    head = body.rstrip()
    return head[:-1] + b", " + encode_json(name).encode() + b": " + encode_json(value).encode() + b"}\n"


def metrics_body(queries: CostQueries, today: date, top_services: int, metric: str, gross: bool,
                 tag_labels: tuple[str, ...] = ()) -> bytes:
    """/metrics's cost gauges (the status gauges follow per scrape), when no publish stored them."""
    from costtui.exporters.prometheus import cost_exposition

    return cost_exposition(queries, today, top_services, metric, gross, tag_labels)


def shown(value: object, width: int = 60) -> str:
    """A value quoted for an error message, cut short (repr escapes control characters)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
