"""Window sums: one scan that adds up cost per group for several windows at once, so a face can
aggregate a range once and derive every breakdown, toggle and drill-down from the small result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise

import duckdb

from costtui.model import CostQuery

# Group-by name -> (output key, SQL expression); expressions are constants, never user text.
ROLLUP_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "provider": [("provider", "provider")],
    "account": [("account", "account_id"), ("account_name", "max(account_name)")],
    "service": [("service", "service")],
    "region": [("region", "region")],
    "day": [("day", "strftime(charge_date, '%Y-%m-%d')")],
    "month": [("month", "strftime(charge_date, '%Y-%m')")],
}


@dataclass(frozen=True, slots=True)
class WindowSums:
    """One group's sums per window: (billed, effective, billed credits, effective credits) each, so
    the metric and net/gross switches need no second scan (gross = net - credits)."""

    keys: dict[str, object]
    currency: str
    sums: tuple[tuple[Decimal, Decimal, Decimal, Decimal], ...]


def window_sums(
    con: duckdb.DuckDBPyConnection, query: CostQuery, windows: Sequence[tuple[date, date]]
) -> list[WindowSums]:
    """Sums per group of `query.group_by` and currency for each of the disjoint `windows`; the query's
    filters apply, its own dates, metric and gross are ignored (the scan gives net and gross, billed
    and effective at once). One scan grouped by window and credit flag: cheaper than filtered sums."""
    from costtui.cache.queries import where_clause  # one filter rule for every read

    if not windows:
        return []
    ordered = sorted(windows)
    for (_, end), (start, _) in pairwise(ordered):
        if start <= end:
            raise ValueError("window_sums needs disjoint windows")
    select: list[str] = []
    keys: list[str] = []
    group: list[str] = []
    for name in query.group_by:
        for key, expr in ROLLUP_COLUMNS[name]:
            select.append(f"{expr} AS {key}")
            keys.append(key)
            if not expr.startswith("max("):
                group.append(expr)
    bucket = "CASE " + " ".join("WHEN charge_date BETWEEN ? AND ? THEN " + str(i) for i in range(len(windows))) + " END"
    params: list = [day for window in windows for day in window]
    scan = replace(query, start=min(s for s, _ in windows), end=max(e for _, e in windows), gross=False)
    where, where_params = where_clause(scan)
    sql = (
        f"SELECT {', '.join([*select, 'currency'])}, {bucket} AS bucket, charge_category = 'Credit' AS credit, "
        f"sum(billed_cost), sum(effective_cost) FROM charges{where} "
        f"GROUP BY {', '.join([*group, 'currency', 'bucket', 'credit'])}"
    )
    width = len(keys)
    folded: dict[tuple, tuple[dict, list[list[Decimal]]]] = {}
    for row in con.execute(sql, params + where_params).fetchall():
        values = dict(zip(keys, row[:width], strict=True))
        currency, window, credit, billed, effective = row[width:]
        if window is None:
            continue  # between two windows
        identity = (*(values[k] for k in keys if k != "account_name"), currency)
        entry = folded.setdefault(identity, (values, [[Decimal(0)] * 4 for _ in windows]))
        sums = entry[1][window]
        sums[0] += _money(billed)
        sums[1] += _money(effective)
        if credit:
            sums[2] += _money(billed)
            sums[3] += _money(effective)
    return [
        WindowSums(values, identity[-1], tuple(tuple(w) for w in sums))  # type: ignore[misc]
        for identity, (values, sums) in folded.items()
    ]


def _money(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))
