"""Threshold rules scoped by tag (`tag = {team = "payments"}`) through the real `costtui alerts` run:
the limit is judged on that team's spend only, the finding says the scope, and a rule naming a key
that allocation.tag_keys does not configure is refused as a config error."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

from costtui.cache import CacheReader
from tests.alerts.conftest import Hook
from tests.alerts.test_alerts_command import alerts
from tests.conftest import TODAY

# Month to date in the tagged known cache (tests/tagcache.py): payments aws 1350.00 USD (EC2 100/day
# x 14 - 50 credit) and azure 60.00 EUR; search 140.00 USD; untagged (Lambda) 14.00 USD.
RULES = f"""
demo_today = {TODAY.isoformat()}

[allocation]
tag_keys = ["team", "environment"]

[[alerts.thresholds]]
name = "payments-month"
tag = {{ team = "payments" }}
currency = "USD"
warning = 1000
critical = 2000

[[alerts.thresholds]]
name = "search-month"
tag = {{ team = "search" }}
warning = 500

[[alerts.thresholds]]
name = "untagged-month"
tag = {{ team = "" }}
warning = 10
"""


def test_a_tag_scoped_threshold_judges_only_that_tags_spend(tmp_path: Path, tagged_cache: Path, hook: Hook):
    cache = tmp_path / "cache.duckdb"
    shutil.copyfile(tagged_cache, cache)  # alerts record their findings in the cache
    config = tmp_path / "config.toml"
    config.write_text(RULES + '[alerts.notifications.webhook]\nenabled = true\nurl_env = "HOOK_URL"\n')

    result = alerts(config, cache, "--format", "json", env={"HOOK_URL": hook.url()})

    assert result.returncode == 0, result.stderr
    findings = {f["rule"]: f for f in json.loads(result.stdout, parse_float=Decimal)}
    assert set(findings) == {"payments-month", "untagged-month"}  # search: 140.00 is under 500
    assert (findings["payments-month"]["severity"], findings["payments-month"]["observed"]) == (
        "warning", Decimal("1350.00"))
    assert findings["untagged-month"]["observed"] == Decimal("14.00")
    (payload,) = hook.bodies()
    assert "team=payments month to date 1350.00 USD is above the warning limit 1000.00 USD" in payload["text"]
    assert "team=(untagged) month to date 14.00 USD" in payload["text"]
    with CacheReader(cache).session() as queries:
        assert {event["rule"] for event in queries.alert_events()} == {"payments-month", "untagged-month"}


def test_a_threshold_on_a_key_that_is_not_configured_is_a_config_error(tmp_path: Path, tagged_cache: Path):
    config = tmp_path / "config.toml"
    config.write_text(RULES.replace('tag = { team = "payments" }', 'tag = { owner = "payments" }'))

    result = alerts(config, tagged_cache)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "alerts.thresholds.0.tag.owner: not one of allocation.tag_keys" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
