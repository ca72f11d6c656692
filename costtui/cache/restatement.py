"""Which cached rows a restatement replaces, and the per-slice report of what it changed.

A scope with a billing period replaces that (provider, billing account, billing period) slice,
whatever days its rows are dated; rows cached without a billing period (older caches, sources
that name none) are replaced over the period's days. A scope without one replaces its days.
The same SQL drives the writer and `import --dry-run`, so a preview says what a write would do."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import duckdb

from costtui.model import COST_ROW_COLUMNS, ReplaceScope, SliceChange

COLUMN_LIST = ", ".join(COST_ROW_COLUMNS)
BILLING_PERIOD = "billing_period_start"
STORED_COLUMNS = f"{COLUMN_LIST}, {BILLING_PERIOD}"


def _in_scope(alias: str, cached: bool) -> str:
    """Rows (`alias`) a scope `s` covers: cached rows to delete, or incoming rows it may insert."""
    same = (
        f"{alias}.provider = s.provider AND (s.billing_account_id IS NULL OR "
        f"{alias}.billing_account_id = s.billing_account_id)"
    )
    in_days = f"{alias}.charge_date BETWEEN s.start_date AND s.end_date"
    in_period = f"{alias}.{BILLING_PERIOD} = s.billing_period"
    if cached:
        in_period = f"({in_period} OR ({alias}.{BILLING_PERIOD} IS NULL AND {in_days}))"
    return f"{same} AND (CASE WHEN s.billing_period IS NULL THEN {in_days} ELSE {in_period} END)"


CACHED_IN_SCOPE = _in_scope("c", cached=True)
INCOMING_IN_SCOPE = _in_scope("i", cached=False)


# Per scope, the days it replaces: its own range widened to every cached row it covers.
REPLACED_DAYS_SQL = f"""SELECT s.provider, s.billing_account_id, least(s.start_date, min(c.charge_date)),
    greatest(s.end_date, max(c.charge_date))
    FROM scopes s LEFT JOIN charges c ON {CACHED_IN_SCOPE}
    GROUP BY s.idx, s.provider, s.billing_account_id, s.start_date, s.end_date"""


def load_scopes(con: duckdb.DuckDBPyConnection, scopes: Sequence[ReplaceScope]) -> None:
    """The temp table `scopes` (one row per scope, `idx` its position) the SQL above joins with."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scopes (idx INTEGER, provider VARCHAR, billing_account_id VARCHAR,"
        " start_date DATE, end_date DATE, billing_period DATE)"
    )
    if scopes:
        con.executemany(
            "INSERT INTO scopes VALUES (?, ?, ?, ?, ?, ?)",
            [(i, s.provider, s.billing_account_id, s.start, s.end, s.billing_period) for i, s in enumerate(scopes)],
        )


def incoming_view(
    con: duckdb.DuckDBPyConnection,
    parquet_files: Sequence[Path],
    extra_sources: Sequence[str] = (),
    tag_columns: Sequence[str] = (),
) -> None:
    """The temp view `incoming` over staged files (stored column order, then `tag_columns`); files
    staged without a billing period or a tag column get NULL for it (an empty tag is NULL too:
    untagged). `extra_sources` are SELECTs already in that order."""
    sources = []
    for path in parquet_files:
        reader = f"read_parquet({sql_path(path)})"
        columns = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
        period = BILLING_PERIOD if BILLING_PERIOD in columns else f"NULL::DATE AS {BILLING_PERIOD}"
        tags = "".join(
            f', nullif("{c}"::VARCHAR, \'\') AS "{c}"' if c in columns else f', NULL::VARCHAR AS "{c}"'
            for c in tag_columns
        )
        sources.append(f"SELECT {COLUMN_LIST}, {period}{tags} FROM {reader}")
    sources.extend(extra_sources)
    if not sources:
        tags = "".join(f', NULL::VARCHAR AS "{c}"' for c in tag_columns)
        sources = [f"SELECT {STORED_COLUMNS}{tags} FROM charges LIMIT 0"]
    con.execute("CREATE OR REPLACE TEMP VIEW incoming AS " + " UNION ALL ".join(sources))


def slice_changes(con: duckdb.DuckDBPyConnection, scopes: Sequence[ReplaceScope], table: str = "charges") -> list[SliceChange]:
    """Old and new billed totals and rows per scope and currency (needs `scopes` and `incoming`)."""
    rows = con.execute(
        f"""WITH old AS (SELECT s.idx, c.currency, sum(c.billed_cost) AS total, count(*) AS n
                         FROM scopes s JOIN {table} c ON {CACHED_IN_SCOPE} GROUP BY ALL),
                 new AS (SELECT s.idx, i.currency, sum(i.billed_cost) AS total, count(*) AS n
                         FROM scopes s JOIN incoming i ON {INCOMING_IN_SCOPE} GROUP BY ALL)
            SELECT coalesce(old.idx, new.idx) AS idx, coalesce(old.currency, new.currency) AS currency,
                   coalesce(old.total, 0), coalesce(new.total, 0), coalesce(old.n, 0), coalesce(new.n, 0)
            FROM old FULL JOIN new ON old.idx = new.idx AND old.currency = new.currency
            ORDER BY idx, currency"""
    ).fetchall()
    return [
        SliceChange(scopes[idx], currency, Decimal(old), Decimal(new), int(old_n), int(new_n))
        for idx, currency, old, new, old_n, new_n in rows
    ]


def preview_changes(
    cache_path: Path | None, scopes: Sequence[ReplaceScope], parquet_files: Sequence[Path]
) -> list[SliceChange]:
    """What replacing `scopes` with the staged files would change, without writing (--dry-run).
    `cache_path` None (no cache yet) compares with an empty cache."""
    from costtui.cache.reader import open_read_only
    from costtui.cache.schema import SCHEMA_SQL

    if cache_path is not None:
        con = open_read_only(cache_path)  # an unopenable cache is one line (in use, corrupt, ...)
        table = "charges"
        columns = {r[0] for r in con.execute("DESCRIBE charges").fetchall()}
        if BILLING_PERIOD not in columns:  # a v1 cache not migrated yet: no row has a billing period
            con.execute(f"CREATE TEMP VIEW charges_v2 AS SELECT *, NULL::DATE AS {BILLING_PERIOD} FROM charges")
            table = "charges_v2"
    else:
        con = duckdb.connect(":memory:")
        con.execute(SCHEMA_SQL)
        table = "charges"
    try:
        load_scopes(con, scopes)
        incoming_view(con, parquet_files)
        return slice_changes(con, scopes, table)
    finally:
        con.close()


def sql_path(path: Path) -> str:
    """A file path as a SQL string literal (table functions in a view take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"
