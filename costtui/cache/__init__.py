"""The DuckDB cache: the only package that opens it or holds SQL."""

from costtui.cache.errors import CacheBusy, CacheError, CacheMissing
from costtui.cache.queries import CostQueries, FetchHistory, FetchStatus
from costtui.cache.reader import CacheReader
from costtui.cache.writer import CacheWriter, FetchRecord, open_writer

__all__ = [
    "CacheBusy",
    "CacheError",
    "CacheMissing",
    "CacheReader",
    "CacheWriter",
    "CostQueries",
    "FetchHistory",
    "FetchRecord",
    "FetchStatus",
    "open_writer",
]
