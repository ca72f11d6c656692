"""An in-memory DuckDB engine for providers that parse or generate bulk files.

Providers never open the cache; they stage their normalised rows as a Parquet file
in the cost-row column order, which the cache loads without Python in the loop."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from costtui.model import COST_ROW_COLUMNS

COST_ROW_TYPES = {
    "charge_date": "DATE",
    "provider": "VARCHAR",
    "billing_account_id": "VARCHAR",
    "account_id": "VARCHAR",
    "account_name": "VARCHAR",
    "service": "VARCHAR",
    "region": "VARCHAR",
    "charge_category": "VARCHAR",
    "billed_cost": "DECIMAL(18, 6)",
    "effective_cost": "DECIMAL(18, 6)",
    "currency": "VARCHAR",
    "estimated": "BOOLEAN",
}
assert tuple(COST_ROW_TYPES) == COST_ROW_COLUMNS
# The optional column after the cost row in a staged file: the billing period a row belongs to.
BILLING_PERIOD_COLUMN = "billing_period_start"


def memory_engine(spill_dir: Path | None = None, memory_limit: str = "2GB") -> duckdb.DuckDBPyConnection:
    """An in-memory engine that spills to `spill_dir` past `memory_limit`, so a big
    import or a 10M-row demo runs on a small server instead of taking all its RAM."""
    con = duckdb.connect(":memory:")
    # Days are UTC dates on every host: naive timestamps are UTC, TIMESTAMPTZ is bucketed in UTC.
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = ?", [memory_limit])
    if spill_dir is not None:
        con.execute("SET temp_directory = ?", [str(spill_dir)])
    return con


def cast_select(source: str, with_billing_period: bool = False, tag_columns: Sequence[str] = ()) -> str:
    """SELECT list casting a relation with cost-row column names to the exact types (plus
    `billing_period_start` for sources that restate by billing period, then the `tag_<key>`
    columns of the configured tags, which the cache loads by name)."""
    casts = [f"CAST({name} AS {kind}) AS {name}" for name, kind in COST_ROW_TYPES.items()]
    if with_billing_period:
        casts.append(f"CAST({BILLING_PERIOD_COLUMN} AS DATE) AS {BILLING_PERIOD_COLUMN}")
    casts += [f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in tag_columns]
    return f"SELECT {', '.join(casts)} FROM {source}"


def stage_parquet(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    path: Path,
    params=None,
    with_billing_period: bool = False,
    tag_columns: Sequence[str] = (),
) -> int:
    """Write a relation (cost-row columns) to Parquet, sorted by day; returns its row count."""
    select = cast_select("(" + relation_sql + ")", with_billing_period, tag_columns)
    con.execute(
        f"COPY ({select} ORDER BY charge_date) "
        f"TO '{_quote(path)}' (FORMAT parquet, COMPRESSION zstd)",
        params or [],
    )
    return con.execute(f"SELECT count(*) FROM read_parquet('{_quote(path)}')").fetchone()[0]


def _quote(path: Path) -> str:
    # COPY ... TO takes no parameter for its target; paths come from our own temp dirs.
    return str(path).replace("'", "''")
