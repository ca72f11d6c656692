"""Cost groups as a text table, JSON or CSV: stdout data for people and scripts.

JSON and CSV carry money exactly, at the cache's full precision; only the table (for people) rounds
to the cent."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from costtui.core.reports import record_columns, records
from costtui.core.tags import UNTAGGED
from costtui.exactjson import encode_json
from costtui.model import CostGroup, exact_text, group_tag_key, to_cents

FORMATS = ("table", "json", "csv")


def render(groups: Sequence[CostGroup], group_by: Sequence[str], metric: str, fmt: str) -> str:
    exact = records(groups, group_by, metric)
    columns = record_columns(group_by, metric)
    if fmt == "json":
        return render_json(exact)
    if fmt == "csv":
        return render_csv(exact, columns)
    return render_table(exact, columns)


def render_json(records: Sequence[dict]) -> str:
    """A JSON array, one object per line; money is a JSON number written from the Decimal, never via float."""
    if not records:
        return "[]\n"
    return "[\n  " + ",\n  ".join(encode_json(record) for record in records) + "\n]\n"


def render_csv(records: Sequence[dict], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow(["" if record[c] is None else _text(record[c]) for c in columns])
    return buffer.getvalue()


def render_table(records: Sequence[dict], columns: Sequence[str]) -> str:
    if not records:
        return "No costs for this selection.\n"
    rows = [[_cell(record[c], c) for c in columns] for record in records]
    numeric = {c for c in columns if c.endswith("_cost")}
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    lines = [
        "  ".join(
            c.ljust(w) if c not in numeric else c.rjust(w) for c, w in zip(columns, widths, strict=True)
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(
                v.rjust(w) if c in numeric else v.ljust(w)
                for v, w, c in zip(row, widths, columns, strict=True)
            ).rstrip()
        )
    return "\n".join(lines) + "\n"


def _cell(value, column: str) -> str:
    """A table cell: money to the cent, a missing tag as (untagged)."""
    if column.endswith("_cost"):
        return _text(to_cents(value))
    if value is None and group_tag_key(column):
        return UNTAGGED
    return _text(value)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return exact_text(value)
    return str(value)
