"""The one tag rule (costtui.tagrules): Python's pick and the SQL the bulk sources run agree."""

from __future__ import annotations

import json

import duckdb
import pytest

from costtui.providers.tags_sql import entries_from_json, picked_tags
from costtui.tagrules import TagRules

RULES = TagRules(("team", "environment"), {"environment": ("env", "Environment")})
CASES = [
    ({"team": "web", "environment": "prod"}, {"team": "web", "environment": "prod"}),
    ({" team ": "web", "env": "dev"}, {"team": "web", "environment": "dev"}),
    ({"environment": "", "env": "", "Environment": "qa"}, {"environment": "qa"}),  # first non-empty spelling
    ({"env": "dev", "environment": "prod"}, {"environment": "prod"}),  # the key itself before its aliases
    ({"Team": "web", "TEAM": "x"}, {}),  # case matters; merge spellings with aliases
    ({"team": None, "environment": 3}, {"environment": "3"}),
    ({"team": {"nested": 1}}, {"team": '{"nested":1}'}),
    ({"application": "shop"}, {}),
    ({}, {}),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_pick_keeps_configured_keys_trimmed_and_alias_merged(raw, expected):
    assert RULES.pick(raw) == expected
    assert RULES.pick(list(raw.items())) == expected  # key/value pairs (GCP labels) read the same


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_the_sql_pick_agrees_with_python(raw, expected):
    con = duckdb.connect()
    picks = ", ".join(f"{expr} AS {column}" for column, expr in picked_tags(entries_from_json("t"), RULES))
    row = con.execute(f"SELECT {picks} FROM (SELECT ?::VARCHAR AS t)", [json.dumps(raw)]).fetchone()
    assert {k: v for k, v in zip(RULES.keys, row, strict=True) if v is not None} == expected


def test_no_keys_configured_keeps_nothing_and_bad_json_is_untagged():
    assert TagRules().pick({"team": "web"}) == {}
    assert not TagRules()
    con = duckdb.connect()
    (expr,) = [e for _, e in picked_tags(entries_from_json("t"), TagRules(("team",)))]
    assert con.execute(f"SELECT {expr} FROM (SELECT 'not json' AS t UNION ALL SELECT '[1]')").fetchall() == [(None,), (None,)]
