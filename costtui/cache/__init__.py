"""The DuckDB cache: the only package that opens it or holds SQL."""

from costtui.cache.errors import CacheBusy, CacheCorrupt, CacheError, CacheInUse, CacheMissing, WouldLoseData
from costtui.cache.publish import open_writer
from costtui.cache.queries import CostQueries, FetchStatus
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
    "FetchRecord",
    "FetchStatus",
    "WouldLoseData",
    "open_writer",
]
