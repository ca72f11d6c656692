"""A user names two tag keys in the config and refreshes: the cache holds spend by team and environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import duckdb

HEADER = "BillingAccountId,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ProviderName,ServiceName,Tags"


def test_refresh_stores_the_configured_tags_and_a_new_key_fills_on_the_next_refresh(tmp_path):
    """Also: an unchanged file is skipped while the keys stay the same, and read again when they change."""
    focus = tmp_path / "focus.csv"
    rows = [
        ("7.00", {"team": "web", "env": "prod"}),
        ("3.00", {"team": "data", "environment": "dev"}),
        ("1.50", {}),
    ]
    focus.write_text(HEADER + "\n" + "".join(
        f'BA,USD,{cost},{cost},Usage,2026-11-0{i + 1}T00:00:00Z,AWS,EC2,"{json.dumps(tags).replace(chr(34), chr(34) * 2)}"\n'
        for i, (cost, tags) in enumerate(rows)))
    cache = tmp_path / "cache.duckdb"
    config = tmp_path / "costtui.toml"

    def refresh(allocation: str) -> None:
        config.write_text(f'[providers.focus]\nenabled = true\npaths = ["{focus}"]\n\n{allocation}')
        result = subprocess.run(
            [sys.executable, "-m", "costtui", "--config", str(config), "--cache", str(cache), "refresh", "--full"],
            capture_output=True, text=True, env={**os.environ, "COSTTUI_TODAY": "2026-11-20"},
        )
        assert result.returncode == 0, result.stderr

    def totals(column: str) -> dict:
        con = duckdb.connect(str(cache), read_only=True)
        try:
            return dict(con.execute(f"SELECT {column}, sum(billed_cost) FROM charges GROUP BY ALL").fetchall())
        finally:
            con.close()

    def last_fetch_rows() -> int:
        con = duckdb.connect(str(cache), read_only=True)
        try:
            return con.execute("SELECT row_count FROM fetches ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
        finally:
            con.close()

    refresh('[allocation]\ntag_keys = ["team"]\n')
    assert totals("tag_team") == {"web": Decimal("7.00"), "data": Decimal("3.00"), None: Decimal("1.50")}
    refresh('[allocation]\ntag_keys = ["team"]\n')  # same keys, same file: nothing to read
    assert last_fetch_rows() == 0
    # the file has not changed: the new key alone makes the next refresh read it again
    refresh('[allocation]\ntag_keys = ["team", "environment"]\n[allocation.aliases]\nenvironment = ["env"]\n')
    assert last_fetch_rows() == 3
    assert totals("tag_environment") == {"prod": Decimal("7.00"), "dev": Decimal("3.00"), None: Decimal("1.50")}
    assert totals("tag_team") == {"web": Decimal("7.00"), "data": Decimal("3.00"), None: Decimal("1.50")}
