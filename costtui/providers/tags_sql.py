"""Configured tags picked in DuckDB SQL, by the rule of `costtui.tagrules` (trim keys, the key
itself then its aliases, first non-empty value wins, others dropped), for the bulk sources that
never bring rows into Python: FOCUS `Tags`, Azure MCA `Tags`, AWS Data Exports `resource_tags`.

A source's raw tags become a list of {key, value} entries (`entries_from_json`, or a MAP's own
`map_entries`); `picked_tags` gives one expression per configured key, named by its cache column.
Keys and aliases are embedded as SQL string literals (escaped): they come from the validated
config, whose keys are limited to [A-Za-z0-9_.:/ -]."""

from __future__ import annotations

from costtui.model import tag_column
from costtui.tagrules import TagRules

# normalise_tag_key trims what str.strip() trims; these are the ones a tag key may carry in practice.
_SPACES = "' \t\n\r\f\v'"


def entries_from_json(expr: str) -> str:
    """{key, value} entries of a JSON object text (FOCUS `Tags`, Azure MCA); NULL when it is not
    one (a malformed Tags cell counts as untagged: costs are never refused for a tag).
    Non-text values keep their JSON text (12, true), as `tagrules.tag_text` does."""
    return (
        f"map_entries(json_transform(CASE WHEN json_valid({expr}) AND json_type({expr}) = 'OBJECT' "
        f"THEN {expr} END, '\"MAP(VARCHAR, VARCHAR)\"'))"
    )


def picked_tags(entries: str, rules: TagRules, source_prefix: str | None = None) -> list[tuple[str, str]]:
    """(cache column, expression) per configured key over a list of {key, value} `entries`.

    `source_prefix` (a regular expression) is a prefix the source puts before user tag keys
    (CUR 2.0's `user_`): a raw key matches with or without it."""
    picked = []
    for key in rules.keys:
        firsts = []
        for spelling in rules.spellings(key):
            raw = f"trim(e.key, {_SPACES})"
            match = f"{raw} = {_literal(spelling)}"
            if source_prefix:
                match = f"({match} OR regexp_replace({raw}, {_literal('^' + source_prefix)}, '') = {_literal(spelling)})"
            firsts.append(f"list_filter({entries}, lambda e: {match} AND e.value <> '')[1].value")
        picked.append((tag_column(key), firsts[0] if len(firsts) == 1 else f"coalesce({', '.join(firsts)})"))
    return picked


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
