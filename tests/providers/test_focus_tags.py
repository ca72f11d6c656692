"""FOCUS `Tags`: the configured keys reach the cache through `import`, messy spellings merged,
untagged spend kept, and the per-tag totals equal the file's own."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from tests.faces import run_costtui

HEADER = (
    "BillingAccountId,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,"
    "ChargePeriodEnd,ProviderName,ServiceName,SubAccountId,RegionId,Tags"
)


def tags_cell(tags: dict | str | None) -> str:
    if tags is None:
        return ""
    text = tags if isinstance(tags, str) else json.dumps(tags)
    return '"' + text.replace('"', '""') + '"'


ROWS = [
    # cost, service, hour, Tags as the export wrote them
    ("10.50", "Amazon EC2", 0, {"team": "web", "environment": "prod", "application": "shop"}),
    ("1.25", "Amazon EC2", 1, {" team": "web", "env": "prod"}),  # messy key, alias
    ("4.00", "Amazon S3", 1, {"team ": "data", "Environment": "dev", "env": ""}),  # empty alias skipped
    ("2.00", "Amazon S3", 2, {"Team": "other", "environment": ""}),  # wrong case, empty value: untagged
    ("0.75", "Amazon RDS", 2, None),  # no Tags at all
    ("3.00", "Amazon RDS", 3, "not json"),  # malformed: untagged, the cost still counts
    ("-1.00", "Amazon EC2", 4, {"team": "web", "environment": "prod", "cost_center": 1234}),
    ("0.50", "Amazon EC2", 5, {"team": 7, "environment": True}),  # non-text values keep their JSON text
]
CONFIG = """
[allocation]
tag_keys = ["team", "environment"]

[allocation.aliases]
environment = ["env", "Environment"]
"""


def write_file(path: Path) -> Path:
    lines = [HEADER]
    for cost, service, hour, tags in ROWS:
        category = "Credit" if cost.startswith("-") else "Usage"
        lines.append(
            f"111,USD,{cost},{cost},{category},2026-11-01T0{hour}:00:00Z,2026-11-01T0{hour + 1}:00:00Z,"
            f"AWS,{service},222,us-east-1,{tags_cell(tags)}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def file_totals(path: Path, key: str, spellings: tuple[str, ...]) -> dict[str | None, Decimal]:
    """The file's own totals per value of `key`, computed here in Python from the CSV."""
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    with path.open(newline="") as handle:
        for record in csv.DictReader(handle):
            try:
                tags = json.loads(record["Tags"]) if record["Tags"] else {}
            except ValueError:
                tags = {}
            trimmed = {k.strip(): v for k, v in tags.items()}
            value = next((trimmed[s] for s in spellings if trimmed.get(s) not in (None, "")), None)
            totals[value if value is None or isinstance(value, str) else json.dumps(value)] += Decimal(record["BilledCost"])
    return dict(totals)


def import_with_config(tmp_path: Path, *files: Path, config: str = CONFIG) -> Path:
    config_path = tmp_path / "costtui.toml"
    config_path.write_text(config)
    cache = tmp_path / "cache.duckdb"
    result = run_costtui(["--config", str(config_path), "--cache", str(cache), "import", *map(str, files)],
                         today=date(2026, 11, 20))
    assert result.returncode == 0, result.stderr
    return cache


def cache_totals(cache: Path, column: str) -> dict[str | None, Decimal]:
    con = duckdb.connect(str(cache), read_only=True)
    try:
        return dict(con.execute(f"SELECT {column}, sum(billed_cost) FROM charges GROUP BY ALL").fetchall())
    finally:
        con.close()


def test_per_tag_totals_equal_the_files_own_totals_untagged_included(tmp_path):
    focus = write_file(tmp_path / "focus.csv")
    cache = import_with_config(tmp_path, focus)
    team = cache_totals(cache, "tag_team")
    environment = cache_totals(cache, "tag_environment")
    assert team == file_totals(focus, "team", ("team",))
    assert environment == file_totals(focus, "environment", ("environment", "env", "Environment"))
    assert team == {
        "web": Decimal("10.75"),  # 10.50 + 1.25 - 1.00 (the credit keeps its tag)
        "data": Decimal("4.00"),
        "7": Decimal("0.50"),
        None: Decimal("5.75"),  # "Team" (other case), no Tags, malformed Tags
    }
    assert environment == {"prod": Decimal("10.75"), "dev": Decimal("4.00"), "true": Decimal("0.50"), None: Decimal("5.75")}
    total = sum(Decimal(cost) for cost, *_ in ROWS)
    assert sum(team.values()) == sum(environment.values()) == total


def test_the_meta_names_the_tag_columns_and_unconfigured_keys_are_dropped(tmp_path):
    cache = import_with_config(tmp_path, write_file(tmp_path / "focus.csv"))
    con = duckdb.connect(str(cache), read_only=True)
    try:
        meta = json.loads(con.execute("SELECT value FROM meta WHERE key = 'tag_keys'").fetchone()[0])
        columns = [r[0] for r in con.execute("DESCRIBE charges").fetchall() if r[0].startswith("tag_")]
    finally:
        con.close()
    assert meta == {"team": "tag_team", "environment": "tag_environment"}
    assert columns == ["tag_team", "tag_environment"]


def test_without_configured_keys_the_import_is_as_before(tmp_path):
    cache = import_with_config(tmp_path, write_file(tmp_path / "focus.csv"), config="")
    con = duckdb.connect(str(cache), read_only=True)
    try:
        assert not [r[0] for r in con.execute("DESCRIBE charges").fetchall() if r[0].startswith("tag_")]
        assert con.execute("SELECT sum(billed_cost) FROM charges").fetchone()[0] == sum(Decimal(c) for c, *_ in ROWS)
    finally:
        con.close()


def test_parquet_tags_as_a_map_are_read_like_the_json_text(tmp_path):
    focus = write_file(tmp_path / "focus.csv")
    parquet = tmp_path / "focus.parquet"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * REPLACE (CASE WHEN json_valid(Tags) AND json_type(Tags) = 'OBJECT'
                   THEN CAST(json_transform(Tags, '"MAP(VARCHAR, VARCHAR)"') AS MAP(VARCHAR, VARCHAR)) END AS Tags)
            FROM read_csv('{focus}', all_varchar = true)) TO '{parquet}' (FORMAT parquet)"""
    )
    assert con.execute(f"SELECT typeof(Tags) FROM '{parquet}' LIMIT 1").fetchone()[0].startswith("MAP")
    con.close()
    (tmp_path / "csv").mkdir()
    (tmp_path / "parquet").mkdir()
    from_csv = cache_totals(import_with_config(tmp_path / "csv", focus), "tag_team")
    from_parquet = cache_totals(import_with_config(tmp_path / "parquet", parquet), "tag_team")
    assert from_parquet == from_csv == file_totals(focus, "team", ("team",))
