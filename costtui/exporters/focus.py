"""FOCUS out: the cache's daily rows as a FOCUS 1.2 CSV or Parquet file, written atomically.

DuckDB writes a temp file beside the target, which is then fsynced and renamed over it: a
reader (or a half-finished export killed midway) never leaves a partial file at `output`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from costtui.exporters.delivery import ExportError, _remove_quietly, _umask
from costtui.model import CostQuery

if TYPE_CHECKING:
    from costtui.cache import CostQueries

FOCUS_FORMATS = ("csv", "parquet")


def write_focus(queries: CostQueries, query: CostQuery, output: Path, fmt: str) -> int:
    """Export the rows `query` selects to `output` as FOCUS; returns the number of rows written."""
    output = Path(output)
    folder = output.parent if str(output.parent) else Path(".")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(f"{output}: cannot write to {folder}: {exc.strerror}") from None
    os.close(handle)
    try:
        rows = queries.copy_focus(query, Path(temp_name), fmt)
        fd = os.open(temp_name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(temp_name, 0o666 & ~_umask())  # mkstemp makes it private; exports are shared
        os.replace(temp_name, output)
    except OSError as exc:
        _remove_quietly(temp_name)
        raise ExportError(f"{output}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        _remove_quietly(temp_name)
        raise
    return rows

