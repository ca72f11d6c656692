"""The core's tag answers: filters as users write them, and coverage (share of spend carrying a key)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from costtui.cache import CacheReader
from costtui.core.tags import TagFilterError, month_to_date_coverage, parse_tag_filter, tag_coverage, tag_keys
from costtui.model import CostQuery


@pytest.mark.parametrize(("text", "separator", "known", "expected"), [
    ("team=payments", "=", None, ("team", "payments")),
    (" team =payments", "=", None, ("team", "payments")),
    ("team=", "=", None, ("team", None)),
    ("team:payments", ":", None, ("team", "payments")),
    ("aws:team:payments", ":", ["aws:team", "team"], ("aws:team", "payments")),
    ("team:arn:aws:x", ":", ["team"], ("team", "arn:aws:x")),
    ("team:", ":", ["team"], ("team", None)),
])
def test_tag_filters_parse_as_users_write_them(text, separator, known, expected):
    assert parse_tag_filter(text, separator, known) == expected


@pytest.mark.parametrize("text", ["team", "=payments", " =x"])
def test_a_filter_without_key_and_separator_is_refused(text):
    with pytest.raises(TagFilterError, match="is not KEY=VALUE"):
        parse_tag_filter(text, "=")


def test_coverage_is_the_share_of_each_providers_spend_carrying_each_key(tagged_cache):
    october = CostQuery(start=date(2026, 10, 1), end=date(2026, 10, 31))
    with CacheReader(tagged_cache).session() as queries:
        assert tag_keys(queries) == ["team", "environment"]
        found = {(c.provider, c.key): c for c in tag_coverage(queries, october)}
    team, environment = found[("aws", "team")], found[("aws", "environment")]
    assert (team.tagged, team.total, team.untagged) == (Decimal("3410"), Decimal("3441"), Decimal("31"))
    assert team.ratio == Decimal("3410") / Decimal("3441")
    assert environment.tagged == Decimal("3100")
    assert ("azure", "team") not in found  # no azure spend in October: no ratio of nothing


def test_month_to_date_coverage_follows_the_selection_per_provider(tagged_cache, today):
    with CacheReader(tagged_cache).session() as queries:
        found = {(c.provider, c.key): c.ratio for c in month_to_date_coverage(queries, CostQuery(), today)}
    assert found[("azure", "team")] == 1
    assert found[("azure", "environment")] == 1
    # aws November: EC2 100x14 - 50 credit, S3 10x14, Lambda 1x14 untagged
    assert found[("aws", "team")] == Decimal("1490") / Decimal("1504")


def test_coverage_of_a_cache_without_tags_is_empty(known_cache, today):
    with CacheReader(known_cache).session() as queries:
        assert month_to_date_coverage(queries, CostQuery(), today) == []
