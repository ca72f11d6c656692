"""The DuckDB cache: the only package that opens it or holds SQL.

Names load from their submodules on first use, so a reader (`check`) does not import the
writer, the publish protocol and their dependencies."""

from typing import TYPE_CHECKING

from costtui.lazyimport import lazy_exports

if TYPE_CHECKING:
    from costtui.cache.errors import (
        CacheBusy,
        CacheCorrupt,
        CacheError,
        CacheInUse,
        CacheMissing,
        WouldLoseData,
    )
    from costtui.cache.publish import open_writer
    from costtui.cache.queries import CostQueries, FetchHistory, FetchStatus
    from costtui.cache.reader import CacheReader
    from costtui.cache.writer import CacheWriter, FetchRecord

__all__ = [
    "CacheBusy",
    "CacheCorrupt",
    "CacheError",
    "CacheInUse",
    "CacheMissing",
    "CacheReader",
    "CacheWriter",
    "CostQueries",
    "FetchHistory",
    "FetchRecord",
    "FetchStatus",
    "WouldLoseData",
    "open_writer",
]

__getattr__ = lazy_exports(
    __name__,
    {name: "costtui.cache.errors" for name in ("CacheBusy", "CacheCorrupt", "CacheError", "CacheInUse", "CacheMissing", "WouldLoseData")}
    | {name: "costtui.cache.queries" for name in ("CostQueries", "FetchHistory", "FetchStatus")}
    | {"open_writer": "costtui.cache.publish", "CacheReader": "costtui.cache.reader"}
    | {name: "costtui.cache.writer" for name in ("CacheWriter", "FetchRecord")},
)
