"""Tag columns read back: filters and `tag:KEY` groupings on the cache's tag columns (meta `tag_keys`),
untagged as None, unknown keys refused by name, and user text never reaching the SQL."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from costtui.cache import CacheReader
from costtui.model import CostQuery, UnknownTagKey
from tests.tagcache import EXPECTED_OCTOBER, TAG_KEYS

OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}


def groups(cache, **query) -> dict:
    with CacheReader(cache).session() as queries:
        return {(*g.keys.values(), g.currency): g.cost for g in queries.cost_groups(CostQuery(**query))}


def total(cache, **query) -> dict:
    with CacheReader(cache).session() as queries:
        return queries.totals(CostQuery(**query))


def test_tag_columns_come_from_meta_in_configured_order(tagged_cache):
    with CacheReader(tagged_cache).session() as queries:
        assert queries.tag_columns() == {"team": "tag_team", "environment": "tag_environment"}
        assert list(queries.tag_columns()) == list(TAG_KEYS)


def test_a_cache_without_tags_has_no_tag_columns(known_cache):
    with CacheReader(known_cache).session() as queries:
        assert queries.tag_columns() == {}


def test_grouping_by_a_tag_gives_each_value_and_untagged_as_none(tagged_cache):
    by_team = groups(tagged_cache, group_by=("tag:team",), **OCTOBER)
    assert by_team == {(team, "USD"): cost for team, cost in EXPECTED_OCTOBER.items()}
    assert sum(by_team.values()) == total(tagged_cache, **OCTOBER)["USD"]  # the groups add up to the total


def test_tag_groups_combine_with_other_dimensions_and_keep_currencies_apart(tagged_cache):
    found = groups(tagged_cache, group_by=("tag:environment", "provider"), start=date(2026, 11, 12),
                   end=date(2026, 11, 14))
    assert found == {("prod", "aws", "USD"): Decimal("300"), (None, "aws", "USD"): Decimal("33"),
                     ("dev", "azure", "EUR"): Decimal("60")}


def test_tag_filters_or_within_a_key_and_within_keys_and(tagged_cache):
    assert total(tagged_cache, tags=(("team", "search"),), **OCTOBER) == {"USD": Decimal("310")}
    assert total(tagged_cache, tags=(("team", "search"), ("team", None)), **OCTOBER) == {"USD": Decimal("341")}
    assert total(tagged_cache, tags=(("team", "payments"), ("environment", "prod")), **OCTOBER) == {
        "USD": Decimal("3100")}
    assert total(tagged_cache, tags=(("team", "search"), ("environment", "prod")), **OCTOBER) == {}


def test_untagged_filter_selects_rows_without_the_key(tagged_cache):
    assert groups(tagged_cache, tags=(("environment", None),), group_by=("service",), **OCTOBER) == {
        ("S3", "USD"): Decimal("310"), ("Lambda", "USD"): Decimal("31")}


def test_the_credit_stays_with_its_tag(tagged_cache):
    november = {"start": date(2026, 11, 1), "end": date(2026, 11, 14)}
    net = groups(tagged_cache, group_by=("tag:team",), providers=("aws",), **november)
    gross = groups(tagged_cache, group_by=("tag:team",), providers=("aws",), gross=True, **november)
    assert gross[("payments", "USD")] - net[("payments", "USD")] == Decimal("50")


@pytest.mark.parametrize("query", [{"group_by": ("tag:owner",)}, {"tags": (("owner", "x"),)}])
def test_an_unknown_key_is_refused_naming_it_and_the_configured_keys(tagged_cache, query):
    with pytest.raises(UnknownTagKey) as caught:
        groups(tagged_cache, **query)
    assert str(caught.value) == "unknown tag key 'owner' (configured keys: team, environment)"


def test_a_cache_without_tags_says_how_to_get_them(known_cache):
    with pytest.raises(UnknownTagKey, match="configured keys: none; set \\[allocation\\] tag_keys and refresh"):
        groups(known_cache, group_by=("tag:team",))


def test_tag_values_are_parameters_never_sql(tagged_cache):
    hostile = "x' OR 1=1 --"
    assert total(tagged_cache, tags=(("team", hostile),)) == {}


def test_a_column_name_in_meta_that_is_not_a_tag_column_is_ignored(tmp_path, tagged_cache):
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(tagged_cache, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'tag_keys'",
                    [json.dumps({"team": "tag_team", "evil": "1; DROP TABLE charges"})])
    with CacheReader(copy).session() as queries:
        assert queries.tag_columns() == {"team": "tag_team"}
