"""Caches with tag columns (issue 13), as docs/tags-layout.md lays them out: one nullable VARCHAR
column per configured key, meta `tag_keys` = {key: column}, NULL = untagged.

The known numbers are written with their tags by the real writer; the demo copy gets tags added
afterwards (ALTER + UPDATE + meta, the contract's form) to keep the session's demo cache as is."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui.cache import FetchRecord, open_writer
from costtui.cache.writer import utcnow
from costtui.model import CostRow, ReplaceScope, tag_column
from tests.faces import KNOWN_START, LAST_DAY, known_rows

# The known numbers (tests/faces.py) tagged; anything not listed is untagged:
#   aws 111 EC2     team=payments environment=prod   (100.00/day billed, credit -50.00 on 2026-11-03)
#   aws 111 S3      team=search                       (10.00/day)
#   aws 222 Lambda  untagged                           (1.00/day)
#   azure sub-1 VM  team=payments environment=dev    (20.00 EUR/day, 2026-11-12..14)
TAG_KEYS = ("team", "environment")
KNOWN_TAGS = {
    ("aws", "111", "EC2"): {"team": "payments", "environment": "prod"},
    ("aws", "111", "S3"): {"team": "search"},
    ("azure", "sub-1", "VM"): {"team": "payments", "environment": "dev"},
}
EXPECTED_OCTOBER = {  # billed, 2026-10-01..31, USD
    "payments": Decimal("3100.00"), "search": Decimal("310.00"), None: Decimal("31.00"),
}


def add_tag_columns(path: Path, keys: tuple[str, ...] = TAG_KEYS) -> dict[str, str]:
    """The contract's ALTER + meta: a column per key (NULL = untagged) and meta `tag_keys`."""
    columns = {key: tag_column(key) for key in keys}
    with duckdb.connect(str(path)) as con:
        for column in columns.values():
            con.execute(f"ALTER TABLE charges ADD COLUMN IF NOT EXISTS {column} VARCHAR")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('tag_keys', ?)", [json.dumps(columns)])
    return columns


def tagged_known_rows() -> list[CostRow]:
    return [replace(r, tags=KNOWN_TAGS.get((r.provider, r.account_id, r.service), {})) for r in known_rows()]


def build_tagged_known_cache(path: Path, fetched_at: datetime | None = None) -> Path:
    """The known numbers with KNOWN_TAGS, through the writer with [allocation] tag_keys = TAG_KEYS."""
    fetched_at = fetched_at or utcnow() - timedelta(hours=1)
    with open_writer(path) as writer:
        writer.ensure_tag_columns(list(TAG_KEYS))
        writer.replace_charges([ReplaceScope(p, KNOWN_START, LAST_DAY) for p in ("aws", "azure")],
                               tagged_known_rows())
        for provider in ("aws", "azure"):
            writer.record_fetch(FetchRecord(provider, "test", KNOWN_START, LAST_DAY, fetched_at, fetched_at, "ok"))
    return path


def tag_demo_copy(demo: Path, target: Path) -> Path:
    """A copy of the demo cache with team (by service) and environment (by account) tags, ~15% untagged."""
    shutil.copyfile(demo, target)
    add_tag_columns(target)
    with duckdb.connect(str(target)) as con:
        con.execute("""UPDATE charges SET
            tag_team = CASE WHEN hash(service) % 7 = 0 THEN NULL
                            ELSE ['payments', 'search', 'platform', 'data'][CAST(hash(service) % 4 AS BIGINT) + 1] END,
            tag_environment = CASE WHEN hash(account_id) % 5 = 0 THEN NULL
                                   ELSE ['prod', 'dev'][CAST(hash(account_id) % 2 AS BIGINT) + 1] END""")
    return target


@pytest.fixture(scope="session")
def tagged_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read-only: the known numbers with team and environment tags (see KNOWN_TAGS)."""
    return build_tagged_known_cache(tmp_path_factory.mktemp("tagged") / "tagged.duckdb")


@pytest.fixture(scope="session")
def tagged_demo_cache(demo_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read-only: the demo cache with team and environment tags on most rows."""
    return tag_demo_copy(demo_cache, tmp_path_factory.mktemp("tagged-demo") / "demo.duckdb")
