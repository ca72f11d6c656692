"""A provider whose data cannot be trusted (fetches failing, or too old) is a finding of its own, recorded once."""

from __future__ import annotations

from datetime import timedelta

from costtui.alerts.notify import render_text
from costtui.alerts.run import run_alerts
from costtui.cache import CacheReader
from costtui.cache.writer import utcnow
from costtui.config.schema import CacheConfig, Config
from tests.alerts.test_alerts_run import TODAY, FakeChannels, config_with
from tests.faces import build_stale_provider_cache


def test_a_failing_provider_is_one_finding_sent_once(stale_provider_cache):
    channels = FakeChannels()
    first = run_alerts(stale_provider_cache, config_with(), TODAY, notifier=channels)
    second = run_alerts(stale_provider_cache, config_with(), TODAY, notifier=channels)

    [finding] = first.new
    assert (finding.kind, finding.rule, finding.provider, finding.severity) == ("stale", "freshness", "azure", "warning")
    assert finding.message.startswith("azure: fetch failing since ")
    assert "[unreachable]: listing c/: cannot reach container 'c'" in finding.message
    assert finding.period_start == (utcnow() - timedelta(hours=48)).date()  # when the failures began
    assert second.new == [] and [e.provider for e in second.findings] == ["azure"]
    assert channels.batches == [["freshness"]]
    with CacheReader(stale_provider_cache).session() as queries:
        assert [(e["kind"], e["provider"]) for e in queries.alert_events()] == [("stale", "azure")]


def test_the_notification_line_says_which_provider_and_since_when(stale_provider_cache):
    [finding] = run_alerts(stale_provider_cache, config_with(), TODAY, record=False).findings
    line = render_text([finding])
    assert line.startswith("WARNING   freshness | azure | ")
    assert "fetch failing since" in line and " USD" not in line


def test_data_older_than_the_max_age_is_a_finding_even_when_the_last_fetch_worked(tmp_path):
    cache = build_stale_provider_cache(tmp_path / "c.duckdb", utcnow())
    strict = Config(cache=CacheConfig(max_age_hours=0.5))
    findings = run_alerts(cache, strict, TODAY, record=False).findings
    by_provider = {e.provider: e for e in findings if e.kind == "stale"}
    assert set(by_provider) == {"aws", "azure"}
    assert "older than 30 min" in by_provider["aws"].message
