"""Cache problems a user can act on, each with a one-line message."""

from costtui.model import CostError


class CacheError(CostError):
    """The cache cannot be read or written."""


class CacheMissing(CacheError):
    """No cache file exists yet."""


class CacheBusy(CacheError):
    """Another refresh holds the write lock."""
