"""Files the dashboard writes: `e`, the visible table as CSV in the machine record shape (exact money), as
`costs --format csv`; and where screenshots go."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from platformdirs import user_downloads_dir

from costtui.core.reports import record_columns, records
from costtui.model import CostGroup, exact_text
from costtui.tui.rollup import Row


def table_csv(rows: Sequence[Row], group_by: Sequence[str], metric: str) -> str:
    groups = [CostGroup(row.keys, row.cost, row.currency) for row in rows]
    columns = record_columns(group_by, metric)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records(groups, group_by, metric):
        writer.writerow(["" if record[c] is None else _text(record[c]) for c in columns])
    return buffer.getvalue()


def export_path(folder: Path, name: str, now: datetime) -> Path:
    return folder / f"costtui-{name}-{now:%Y%m%d-%H%M%S}.csv"


def screenshot_dir() -> Path:
    downloads = Path(user_downloads_dir())
    return downloads if downloads.is_dir() else Path.cwd()


def _text(value) -> str:
    return exact_text(value) if isinstance(value, Decimal) else str(value)
