"""Cache problems a user can act on, each with a one-line message and its exit status."""

from __future__ import annotations

from costtui import exitcodes
from costtui.model import CostError


class CacheError(CostError):
    """The cache cannot be read or written."""


class CacheMissing(CacheError):
    """No cache file exists yet."""


class CacheBusy(CacheError):
    """Another costtui writer holds the write lock."""

    exit_code = exitcodes.BUSY


class CacheInUse(CacheError):
    """Another program (a DuckDB shell, a notebook) holds the cache file open for writing."""


class CacheCorrupt(CacheError):
    """The cache file is damaged or is not a costtui cache; writers refuse to replace it."""

    exit_code = exitcodes.CORRUPT_CACHE


class WouldLoseData(CacheError):
    """A publish would drop providers, days or records the writer did not mean to replace."""


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
