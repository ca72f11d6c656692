"""Tag columns in the cache: one nullable VARCHAR per configured key, NULL = untagged (docs/tags-layout.md)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import duckdb

from costtui.cache import open_writer
from costtui.model import ReplaceScope
from tests.cachefactory import row, write_rows

DAY = date(2026, 11, 2)


def charges(path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def meta_tag_keys(path) -> dict[str, str]:
    found = charges(path, "SELECT value FROM meta WHERE key = 'tag_keys'")
    return json.loads(found[0][0]) if found else {}


def test_rows_keep_their_configured_tags_and_untagged_is_null(tmp_path):
    path = tmp_path / "c.duckdb"
    write_rows(
        path,
        [
            row(DAY, cost="10.00", tags={"team": "web", "Cost Center": "cc-1"}),
            row(DAY, cost="5.00", service="S3", tags={"team": ""}),  # empty value = untagged
            row(DAY, cost="2.50", service="RDS"),
        ],
        tag_keys=["team", "Cost Center"],
    )
    assert meta_tag_keys(path) == {"team": "tag_team", "Cost Center": "tag_cost_center"}
    got = charges(path, "SELECT service, tag_team, tag_cost_center FROM charges ORDER BY service")
    assert got == [("EC2", "web", "cc-1"), ("RDS", None, None), ("S3", None, None)]
    # the per-tag groups, untagged included, add up to the total
    groups = charges(path, "SELECT tag_team, sum(billed_cost) FROM charges GROUP BY ALL ORDER BY 1 NULLS LAST")
    assert groups == [("web", Decimal("10.00")), (None, Decimal("7.50"))]


def test_a_key_added_later_becomes_a_column_untagged_for_rows_already_cached(tmp_path):
    path = tmp_path / "c.duckdb"
    write_rows(path, [row(DAY, tags={"team": "web"})], tag_keys=["team"])
    later = date(2026, 11, 3)
    with open_writer(path) as writer:
        assert writer.ensure_tag_columns(["team", "environment"]) == {"team": "tag_team", "environment": "tag_environment"}
        writer.replace_charges([ReplaceScope("aws", later, later)], [row(later, tags={"team": "api", "environment": "prod"})])
    got = charges(path, "SELECT charge_date, tag_team, tag_environment FROM charges ORDER BY 1")
    assert got == [(DAY, "web", None), (later, "api", "prod")]


def test_a_key_removed_keeps_its_column_and_meta_entry_until_a_rebuild(tmp_path):
    path = tmp_path / "c.duckdb"
    write_rows(path, [row(DAY, tags={"team": "web", "environment": "prod"})], tag_keys=["team", "environment"])
    write_rows(path, [row(DAY, cost="3.00", tags={"team": "api", "environment": "dev"})], tag_keys=["team"])
    assert meta_tag_keys(path) == {"team": "tag_team", "environment": "tag_environment"}
    # the restated day carries no value for a key no longer configured
    assert charges(path, "SELECT tag_team, tag_environment FROM charges") == [("api", None)]


def test_a_renamed_key_that_maps_to_the_same_column_replaces_the_old_name(tmp_path):
    path = tmp_path / "c.duckdb"
    write_rows(path, [row(DAY, tags={"Cost Center": "a"})], tag_keys=["Cost Center"])
    write_rows(path, [row(DAY, tags={"cost_center": "b"})], tag_keys=["cost_center"])
    assert meta_tag_keys(path) == {"cost_center": "tag_cost_center"}
    assert charges(path, "SELECT tag_cost_center FROM charges") == [("b",)]


def test_staged_parquet_files_bring_their_tag_columns(tmp_path):
    """Bulk sources stage Parquet with `tag_<key>` columns; a missing one or an empty value is untagged."""
    path = tmp_path / "c.duckdb"
    staged = tmp_path / "staged.parquet"
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (charge_date DATE, provider VARCHAR, billing_account_id VARCHAR, account_id VARCHAR,"
        " account_name VARCHAR, service VARCHAR, region VARCHAR, charge_category VARCHAR,"
        " billed_cost DECIMAL(18,6), effective_cost DECIMAL(18,6), currency VARCHAR, estimated BOOLEAN,"
        " tag_team VARCHAR, tag_unconfigured VARCHAR)"
    )
    for cost, team in (("1.00", "web"), ("2.00", ""), ("4.00", None)):
        con.execute(f"INSERT INTO t VALUES ({', '.join('?' * 14)})", [*row(DAY, cost=cost).as_tuple(), team, "x"])
    con.execute(f"COPY t TO '{staged}' (FORMAT parquet)")
    con.close()
    with open_writer(path) as writer:
        writer.ensure_tag_columns(["team", "environment"])
        assert writer.replace_charges([ReplaceScope("aws", DAY, DAY)], parquet_files=[staged]) == 3
    got = charges(path, "SELECT billed_cost, tag_team, tag_environment FROM charges ORDER BY 1")
    assert got == [(Decimal("1.00"), "web", None), (Decimal("2.00"), None, None), (Decimal("4.00"), None, None)]
    assert "tag_unconfigured" not in {r[0] for r in charges(path, "DESCRIBE charges")}


def test_a_cache_without_tags_reads_as_before(tmp_path):
    path = tmp_path / "c.duckdb"
    write_rows(path, [row(DAY, tags={"team": "web"})])  # no key configured: tags dropped
    assert meta_tag_keys(path) == {}
    assert not any(r[0].startswith("tag_") for r in charges(path, "DESCRIBE charges"))
