"""The answers' JSON bodies, computed from the core on one snapshot. Pure functions of (snapshot,
question): that is what makes them safe to remember per snapshot (`memo.py`).

Money is written from the Decimal as a JSON number (`exactjson`), never through float."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.core.reports import breakdown, records, summary
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
        }
    )


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


@dataclass(frozen=True, slots=True)
class Probe:
    """What readiness needs from a snapshot, found once per snapshot by real queries over every row."""

    data_as_of: datetime | None
    failed_providers: tuple[str, ...]


def probe(queries: CostQueries) -> Probe:
    """Reads every column of every charge (a corrupt block anywhere fails here, not in a user's
    request later), the fetch records and the freshness stamp."""
    queries.read_every_charge()
    failed = tuple(sorted({f.provider for f in queries.latest_fetches() if f.status != "ok"}))
    return Probe(queries.data_as_of(), failed)


def age_seconds(as_of: datetime | None, now: datetime) -> int | None:
    if as_of is None:
        return None
    return max(0, int((now - as_of).total_seconds()))


def metrics_body(queries: CostQueries, today: date, top_services: int, metric: str, gross: bool) -> bytes:
    from prometheus_client import generate_latest

    from costtui.exporters.prometheus import build_registry

    return generate_latest(build_registry(queries, today, top_services, metric=metric, gross=gross))


def shown(value: object, width: int = 60) -> str:
    """A value quoted for an error message, cut short (repr escapes control characters)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
