"""Rollups and stored forecast parts give the answers `charges` gives, digit for digit, for every
question they take; the rest falls back to `charges`; a publish keeps them in step with its snapshot."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import pytest

from costtui.cache import CacheReader, CostQueries, open_writer
from costtui.cache.reader import connect_read_only
from costtui.cache.rollups import source_table, tag_sums_complete, tagged_column
from costtui.core.forecast import forecast
from costtui.model import CostQuery, ReplaceScope
from tests.cachefactory import row, write_rows

WINDOW = {"start": date(2026, 8, 17), "end": date(2026, 11, 14)}


@contextmanager
def both(path):
    """Queries that may use rollups, and queries that read `charges` only, on one snapshot."""
    con = connect_read_only(path)
    try:
        yield CostQueries(con), CostQueries(con, use_rollups=False)
    finally:
        con.close()


def names(path) -> dict[str, str]:
    with CacheReader(path).session() as queries:
        return {
            "provider": queries.distinct_values("provider")[0],
            "account": queries.cost_groups(CostQuery(group_by=("account",)))[0].keys["account"],
            "service": queries.cost_groups(CostQuery(group_by=("service",)))[0].keys["service"],
            "region": queries.cost_groups(CostQuery(group_by=("region",)))[0].keys["region"],
        }


def questions(found: dict[str, str]) -> list[CostQuery]:
    """What the faces ask: totals, one dimension, a time series, a drill-down step, several filters."""
    asked = []
    for metric in ("billed", "effective"):
        for gross in (False, True):
            for group_by in [(), ("provider",), ("day", "provider"), ("month",), ("provider", "service"),
                             ("provider", "account"), ("region",), ("provider", "service", "region"),
                             ("day", "provider", "service"), ("charge_category",), ("account", "service")]:
                asked.append(CostQuery(metric=metric, gross=gross, group_by=group_by, **WINDOW))
    asked += [
        CostQuery(providers=(found["provider"],), group_by=("service",), **WINDOW),
        CostQuery(services=(found["service"],), group_by=("region",), **WINDOW),
        CostQuery(regions=(found["region"],), group_by=("day",), gross=True, **WINDOW),
        CostQuery(accounts=(found["account"],), group_by=("provider",), metric="effective", **WINDOW),
        CostQuery(services=(found["service"],), group_by=("account",), **WINDOW),  # falls back
        CostQuery(group_by=("provider",)),  # every day
    ]
    return asked


def ordered(sums: list) -> list:
    return sorted(sums, key=lambda item: (sorted(item.keys.items()), item.currency))


def test_rollups_answer_exactly_as_the_charges_do(demo_cache):
    with both(demo_cache) as (fast, plain):
        for query in questions(names(demo_cache)):
            expected = plain.cost_groups(query)
            assert fast.cost_groups(query) == expected, query
            # Same digits, not just equal values: the machine output prints them.
            assert [str(g.cost) for g in fast.cost_groups(query)] == [str(g.cost) for g in expected]
            assert fast.totals(query) == plain.totals(query)
        windows = [(date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 11, 1), date(2026, 11, 14))]
        for group_by in [("provider",), ("provider", "service", "region"), ("provider", "account"),
                         ("day", "provider", "service")]:
            query = CostQuery(group_by=group_by)
            assert ordered(fast.window_sums(query, windows)) == ordered(plain.window_sums(query, windows))
        assert fast.date_bounds() == plain.date_bounds()
        assert fast.first_days() == plain.first_days()


def test_several_groupings_in_shared_scans_are_each_grouping_read_alone(demo_cache):
    """A drill-down's sums and its sparklines' sums by day are read as one call (GROUPING SETS over
    each table's asks): every ask gets what window_sums gives it alone, digit for digit, whichever
    table answers, with rollups and from `charges` only, a grouping asked twice included."""
    found = names(demo_cache)
    days = [(date(2026, 11, 1) + timedelta(days=n),) * 2 for n in range(14)]
    month_windows = [(date(2026, 9, 1), date(2026, 9, 30)), (date(2026, 10, 1), date(2026, 11, 14))]
    ranges = [(date(2026, 10, 18), date(2026, 11, 14)), (date(2026, 9, 20), date(2026, 10, 17))]
    asks = [(("provider", "service", "region"), ranges), (("provider", "account"), ranges),
            (("day", "provider"), ranges[:1]), (("provider", "account"), days), (("provider", "region"), days),
            (("month", "provider", "service"), month_windows), (("charge_category",), ranges), (("provider",), [])]
    selections = [CostQuery(), CostQuery(providers=(found["provider"],), services=(found["service"],)),
                  CostQuery(providers=(found["provider"],), services=(found["service"],), accounts=(found["account"],)),
                  CostQuery(regions=(found["region"],))]
    with both(demo_cache) as (fast, plain):
        for queries in (fast, plain):
            for selection in selections:
                shared = queries.window_sums_sets(selection, asks)
                assert len(shared) == len(asks)
                for (group_by, windows), sums in zip(asks, shared, strict=True):
                    alone = queries.window_sums(replace(selection, group_by=group_by), windows)
                    assert ordered(sums) == ordered(alone), (selection, group_by)
                    assert [[str(v) for s in item.sums for v in s] for item in ordered(sums)] == \
                        [[str(v) for s in item.sums for v in s] for item in ordered(alone)]
                assert any(shared[3]) and shared[-1] == []  # accounts by day found; no windows, no sums


def test_shared_scans_refuse_overlapping_windows(demo_cache):
    overlapping = [(date(2026, 11, 1), date(2026, 11, 10)), (date(2026, 11, 5), date(2026, 11, 14))]
    with both(demo_cache) as (fast, _), pytest.raises(ValueError, match="disjoint"):
        fast.window_sums_sets(CostQuery(), [(("provider", "service"), overlapping), (("provider", "region"), overlapping)])


def test_which_table_answers():
    assert source_table(CostQuery(group_by=("provider",)), rollups=True) == "rollup_totals"
    assert source_table(CostQuery(services=("EC2",), group_by=("region",)), rollups=True) == "rollup_services"
    assert source_table(CostQuery(group_by=("account",), gross=True), rollups=True) == "rollup_accounts"
    assert source_table(CostQuery(services=("EC2",), group_by=("account",)), rollups=True) == "charges"
    assert source_table(CostQuery(group_by=("provider",)), rollups=False) == "charges"


def test_the_stored_forecast_is_the_live_forecast_for_every_filter(demo_cache, today):
    found = names(demo_cache)
    selections = [
        CostQuery(), CostQuery(gross=True), CostQuery(metric="effective"),
        CostQuery(group_by=("provider",)), CostQuery(group_by=("provider", "account", "service")),
        CostQuery(group_by=("account",), metric="effective", gross=True),
        CostQuery(group_by=("charge_category", "region")),
        CostQuery(providers=(found["provider"],), group_by=("service",)),
        CostQuery(accounts=(found["account"],), group_by=("service",)),
        CostQuery(services=(found["service"],), regions=(found["region"],), group_by=("account",)),
    ]
    with both(demo_cache) as (fast, plain):
        for selection in selections:
            stored = fast.forecast_parts(selection, today)
            live = plain.forecast_parts(selection, today)
            assert live, selection
            assert stored == live, selection
            assert [(str(p.actual), str(p.projected)) for p in stored] == \
                   [(str(p.actual), str(p.projected)) for p in live]
        # Another day is computed live (the parts are stored for the publish's day only).
        other = today - timedelta(days=3)
        assert forecast(fast, CostQuery(), other) == forecast(plain, CostQuery(), other)


def test_a_publish_rewrites_the_rollups_of_its_own_snapshot(cache_path):
    day = date(2026, 11, 10)
    write_rows(cache_path, [row(day, cost="10.00"), row(day, service="S3", cost="5.00")])
    with open_writer(cache_path, today=date(2026, 11, 15)) as writer:
        writer.replace_charges([ReplaceScope("aws", day, day)], [row(day, cost="7.00")])
    with both(cache_path) as (fast, plain):
        query = CostQuery(group_by=("service",))
        assert [(g.keys["service"], str(g.cost)) for g in fast.cost_groups(query)] == \
               [(g.keys["service"], str(g.cost)) for g in plain.cost_groups(query)]
        assert fast.totals(CostQuery())["USD"] == 7
        assert fast.forecast_parts(CostQuery(), date(2026, 11, 15)) == \
               plain.forecast_parts(CostQuery(), date(2026, 11, 15))


def test_a_cache_without_rollups_is_read_from_charges_then_built_at_its_next_write(cache_path):
    day = date(2026, 11, 10)
    write_rows(cache_path, [row(day, cost="10.00")])
    con = duckdb.connect(str(cache_path))
    con.execute("DROP TABLE rollup_totals; DROP TABLE forecast_series; UPDATE meta SET value = '3' "
                "WHERE key = 'schema_version'")
    con.close()
    with CacheReader(cache_path).session() as queries:
        assert queries.totals(CostQuery()) == {"USD": 10}
    with open_writer(cache_path) as writer:
        writer.record_alert_events([])  # a write that changes no charge still migrates
    con = duckdb.connect(str(cache_path), read_only=True)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "4"
        assert con.execute("SELECT sum(billed_cost) FROM rollup_totals").fetchone()[0] == 10
        assert con.execute("SELECT count(*) FROM forecast_series").fetchone()[0] == 1  # one series (both metrics)
    finally:
        con.close()


@pytest.mark.parametrize("today", [date(2026, 11, 15), date(2026, 12, 1)])
def test_the_forecast_stored_at_publish_is_for_the_day_given(cache_path, today):
    write_rows(cache_path, [row(date(2026, 11, 10), cost="10.00")])
    with open_writer(cache_path, today=today) as writer:
        writer.record_alert_events([])
    con = duckdb.connect(str(cache_path), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT as_of FROM forecast_series").fetchall() == [(today,)]
    finally:
        con.close()


def test_tag_coverage_from_the_totals_rollup_is_that_of_charges(tagged_demo_cache, tmp_path):
    cache = tmp_path / "tagged.duckdb"
    shutil.copyfile(tagged_demo_cache, cache)  # tags set behind the writer's back: its rollups lack tag sums
    with open_writer(cache, today=date(2026, 11, 15)) as writer:
        writer.record_alert_events([])  # a publish that changes no charge completes them
    found = names(cache)
    selections = [CostQuery(metric=metric, gross=gross, **WINDOW) for metric in ("billed", "effective")
                  for gross in (False, True)]
    selections += [CostQuery(providers=(found["provider"],), **WINDOW), CostQuery(),
                   CostQuery(services=(found["service"],), **WINDOW),  # no tag sums there: from charges
                   CostQuery(tags=(("team", "payments"),), **WINDOW)]
    with both(cache) as (fast, plain):
        assert {tagged_column("billed_cost", "tag_team"), tagged_column("effective_cost", "tag_environment")} \
            <= fast._tagged_rollup_columns
        for selection in selections:
            expected = plain.tag_coverage(selection)
            assert expected and any(tagged for *_, tagged in expected), selection
            got = fast.tag_coverage(selection)
            assert got == expected, selection
            assert [(str(total), {k: str(v) for k, v in tagged.items()}) for *_, total, tagged in got] == \
                   [(str(total), {k: str(v) for k, v in tagged.items()}) for *_, total, tagged in expected]


def test_a_new_tag_key_rebuilds_the_rollups_with_its_sums(cache_path):
    day = date(2026, 11, 10)
    write_rows(cache_path, [row(day, cost="10.00")])
    with open_writer(cache_path) as writer:
        writer.ensure_tag_columns(["team"])  # a key configured since: a new (empty) column
    con = duckdb.connect(str(cache_path), read_only=True)
    try:
        assert tag_sums_complete(con)
        assert con.execute(f"SELECT sum(billed_cost), sum({tagged_column('billed_cost', 'tag_team')}) "
                           "FROM rollup_totals").fetchone() == (10, None)
    finally:
        con.close()
