"""Azure exports' `Tags` column, read into the configured tags (see costtui.tagrules).

EA (and older) exports write a resource's tags as JSON members without the braces,
`"team": "web","env": "prod"`; MCA and the FOCUS dataset write a JSON object. Both are kept as
JSON object text per file row group (`raw_tags` in raw_costs, grouped by like any raw key), and
the configured keys are picked once per distinct text (`tag_sets`), never per row."""

from __future__ import annotations

import duckdb

from costtui.providers.tags_sql import entries_from_json, picked_tags
from costtui.tagrules import TagRules

TAGS_COLUMN = "tags"  # EA Tags, MCA tags, FOCUS Tags (matched case-insensitively)


def add_raw_tags_column(con: duckdb.DuckDBPyConnection) -> None:
    """raw_costs gets the raw tags text as its last column (NULL while no key is configured)."""
    con.execute("ALTER TABLE raw_costs ADD COLUMN IF NOT EXISTS raw_tags VARCHAR")


def raw_tags_sql(header: list[str], tags: TagRules) -> str:
    """The select expression of a file's raw tags as JSON object text (NULL without keys or column)."""
    found = next((name for name in header if name.lower() == TAGS_COLUMN), None)
    if not tags or found is None:
        return "NULL::VARCHAR"
    text = "trim(CAST(\"" + found.replace('"', '""') + "\" AS VARCHAR))"
    # EA: members without braces; MCA / FOCUS: an object already; empty: untagged.
    return f"CASE WHEN {text} = '' THEN NULL WHEN starts_with({text}, '{{') THEN {text} ELSE '{{' || {text} || '}}' END"


def build_tag_sets(con: duckdb.DuckDBPyConnection, tags: TagRules) -> list[str]:
    """The temp table `tag_sets` (raw_tags -> one column per configured key); returns the columns."""
    if not tags:
        return []
    picks = picked_tags(entries_from_json("raw_tags"), tags)
    values = "".join(f', {expr} AS "{column}"' for column, expr in picks)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE tag_sets AS SELECT raw_tags{values} "
        "FROM (SELECT DISTINCT raw_tags FROM raw_costs WHERE raw_tags IS NOT NULL)"
    )
    return [column for column, _ in picks]
