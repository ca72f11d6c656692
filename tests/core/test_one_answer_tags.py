"""Spend by tag is one answer on every face: `costs --group-by tag:team`, `export json`, the REST API,
a tag-scoped alert threshold, the Prometheus by-tag gauge and the dashboard's Tags tab all give the
core's numbers for month to date on the demo data with team and environment tags (~15% untagged)."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from costtui.alerts.thresholds import evaluate_thresholds
from costtui.cache import CacheReader
from costtui.config.schema import ThresholdRule
from costtui.core.reports import breakdown
from costtui.core.windows import month_to_date
from costtui.model import CostQuery, to_cents
from costtui.tui.data import ViewOptions
from costtui.tui.tags import load_tags
from tests.faces import costtui_server, run_costtui

CONFIG = '[allocation]\ntag_keys = ["team", "environment"]\n[export]\ntag_labels = ["team"]\n'


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("config") / "config.toml"
    path.write_text(CONFIG)
    return str(path)


def cli(cache, today, config, *args: str) -> str:
    result = run_costtui(["--config", config, "--cache", str(cache), *args], today=today, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def expected(tagged_demo_cache, today) -> dict:
    """The core's month to date per team (USD), None for untagged."""
    window = month_to_date(today)
    with CacheReader(tagged_demo_cache).session() as queries:
        groups = breakdown(queries, CostQuery(start=window.start, end=window.end, group_by=("tag:team",)))
    answer = {g.keys["tag:team"]: g.cost for g in groups if g.currency == "USD"}
    assert None in answer and len(answer) >= 3  # untagged spend and several teams
    return answer


def by_team(records) -> dict:
    return {r["tag:team"]: Decimal(str(r["billed_cost"])) for r in records if r["currency"] == "USD"}


def test_costs_and_export_give_the_cores_spend_by_team(tagged_demo_cache, today, config, expected):
    for command in (["costs", "--format", "json"], ["export", "json"]):
        out = cli(tagged_demo_cache, today, config, *command, "--group-by", "tag:team", "--period", "month")
        assert by_team(json.loads(out, parse_float=Decimal)) == expected


def test_the_api_gives_the_cores_spend_by_team(tagged_demo_cache, today, config, expected):
    window = month_to_date(today)
    with costtui_server(tagged_demo_cache, today, "--config", config) as base:
        body = httpx.get(f"{base}/api/v1/costs/tags", timeout=30, params={
            "group_by": "tag:team", "start_date": window.start.isoformat(), "end_date": window.end.isoformat(),
        }).json(parse_float=Decimal)
        metrics = httpx.get(f"{base}/metrics", timeout=30).text
    assert by_team(body["rows"]) == expected
    gauge = prometheus_by_team(metrics)
    assert gauge.keys() == expected.keys()
    assert all(abs(gauge[team] - cost) < Decimal("0.005") for team, cost in expected.items())


def prometheus_by_team(text: str) -> dict:
    sums: dict = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "costtui_month_to_date_cost_by_tag" and sample.labels["currency"] == "USD":
                team = sample.labels["tag_team"] or None
                sums[team] = sums.get(team, Decimal(0)) + Decimal(repr(sample.value))
    return sums


def test_prometheus_textfile_gives_the_cores_spend_by_team(tagged_demo_cache, today, config, expected):
    gauge = prometheus_by_team(cli(tagged_demo_cache, today, config, "export", "prometheus"))
    assert gauge.keys() == expected.keys()
    assert all(abs(gauge[team] - cost) < Decimal("0.005") for team, cost in expected.items())


def test_a_tag_scoped_threshold_sees_the_cores_number(tagged_demo_cache, today, expected):
    team = next(k for k in expected if k is not None)
    rules = [ThresholdRule(name="team", tag={"team": team}, warning=Decimal(0), currency="USD"),
             ThresholdRule(name="untagged", tag={"team": ""}, warning=Decimal(0), currency="USD")]
    with CacheReader(tagged_demo_cache).session() as queries:
        events = {e.rule: e.observed for e in evaluate_thresholds(queries, rules, today)}
    assert events == {"team": to_cents(expected[team]), "untagged": to_cents(expected[None])}


def test_the_dashboards_tags_tab_gives_the_cores_spend_by_team(tagged_demo_cache, today, expected):
    data = load_tags(tagged_demo_cache, ViewOptions(preset="mtd"), today, "team")
    shown = {row.keys["tag_value"]: row.cost for row in data.rows if row.currency == "USD"}
    assert shown == expected
