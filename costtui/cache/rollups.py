"""Window sums: one scan that adds up cost per group for several windows at once, so a face can
aggregate a range once and derive every breakdown, toggle and drill-down from the small result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

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
    """Sums per group of `query.group_by` and currency for each window; the query's own dates, metric
    and gross are ignored (the scan covers all windows, net and gross, billed and effective)."""
    from costtui.cache.queries import where_clause  # one filter rule for every read

    if not windows:
        return []
    select: list[str] = []
    keys: list[str] = []
    group: list[str] = []
    for name in query.group_by:
        for key, expr in ROLLUP_COLUMNS[name]:
            select.append(f"{expr} AS {key}")
            keys.append(key)
            if not expr.startswith("max("):
                group.append(expr)
    params: list = []
    sums: list[str] = []
    for start, end in windows:
        for column in ("billed_cost", "effective_cost"):
            sums.append(f"sum({column}) FILTER (WHERE charge_date BETWEEN ? AND ?)")
            params.extend((start, end))
        for column in ("billed_cost", "effective_cost"):
            sums.append(f"sum({column}) FILTER (WHERE charge_category = 'Credit' AND charge_date BETWEEN ? AND ?)")
            params.extend((start, end))
    scan = replace(query, start=min(s for s, _ in windows), end=max(e for _, e in windows), gross=False)
    where, where_params = where_clause(scan)
    sql = (
        f"SELECT {', '.join([*select, 'currency', *sums])} FROM charges{where} "
        f"GROUP BY {', '.join([*group, 'currency'])}"
    )
    result = []
    width = len(keys)
    for row in con.execute(sql, params + where_params).fetchall():
        values = dict(zip(keys, row[:width], strict=True))
        numbers = [_money(value) for value in row[width + 1 :]]
        per_window = tuple(tuple(numbers[i : i + 4]) for i in range(0, len(numbers), 4))
        result.append(WindowSums(values, row[width], per_window))  # type: ignore[arg-type]
    return result


def _money(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))
