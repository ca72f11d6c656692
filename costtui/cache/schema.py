"""The cache's tables and schema version; creates or checks them on a connection."""

from __future__ import annotations

import duckdb

SCHEMA_VERSION = 4
# Versions a reader can query as they are (v1 lacks billing_period_start, v1-v2 fetches.duration_seconds,
# v1-v3 rollups: reads then use `charges`);
# the next write migrates.
READABLE_VERSIONS = range(1, SCHEMA_VERSION + 1)
# Older versions this module upgrades in place (no row lost): version -> the statements that lift it by one.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # v2: the billing period a row was invoiced in, so an import restates exactly its billing periods.
    1: ("ALTER TABLE charges ADD COLUMN billing_period_start DATE",),
    # v3: how long each provider fetch took.
    2: ("ALTER TABLE IF EXISTS fetches ADD COLUMN IF NOT EXISTS duration_seconds DOUBLE",),
    # v4: daily rollups and the forecast's stored series parts (cache/rollups.py, cache/forecast.py).
    # They derive from `charges` alone, so the publish of the write that migrates builds them
    # (`write_rollups` finds them missing); until then readers answer from `charges`.
    3: (),
}

# Money columns are DECIMAL(18,6): exact sums, sub-cent precision the clouds report.
SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS charges (
    charge_date DATE NOT NULL,
    provider VARCHAR NOT NULL,
    billing_account_id VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    account_name VARCHAR NOT NULL,
    service VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    charge_category VARCHAR NOT NULL,
    billed_cost DECIMAL(18, 6) NOT NULL,
    effective_cost DECIMAL(18, 6) NOT NULL,
    currency VARCHAR NOT NULL,
    estimated BOOLEAN NOT NULL DEFAULT false,
    billing_period_start DATE  -- first day of the billing period; NULL where the source names none
);
CREATE TABLE IF NOT EXISTS fetches (
    provider VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    range_start DATE,
    range_end DATE,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    error_kind VARCHAR,
    error_message VARCHAR,
    row_count BIGINT NOT NULL DEFAULT 0,
    api_calls INTEGER NOT NULL DEFAULT 0,
    bytes_processed BIGINT,
    duration_seconds DOUBLE
);
CREATE TABLE IF NOT EXISTS ingested_objects (
    provider VARCHAR NOT NULL,
    object_key VARCHAR NOT NULL,
    etag VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, object_key)
);
CREATE TABLE IF NOT EXISTS alert_events (
    fingerprint VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    provider VARCHAR,
    account_id VARCHAR,
    service VARCHAR,
    period_start DATE,
    period_end DATE,
    observed DECIMAL(18, 6),
    threshold DECIMAL(18, 6),
    currency VARCHAR,
    message VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    notified_at TIMESTAMP
);
"""


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables of a new cache, or bring an older one up to SCHEMA_VERSION."""
    version = read_schema_version(con)
    while version is not None and version < SCHEMA_VERSION:
        for statement in MIGRATIONS[version]:
            con.execute(statement)
        version += 1
    con.execute(SCHEMA_SQL)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def read_schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The cache's schema version, or None if it is not a costtui cache."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        return None
    return int(row[0]) if row else None
