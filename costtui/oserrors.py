"""Storage failures (full disk, read-only filesystem, permission denied) as one-line CostErrors.

OSErrors carry an errno; DuckDB reports the same failures as text in an IOException, so
both are classified here, once, for the cache, the scratch folders and the exporters."""

from __future__ import annotations

import errno

from costtui import exitcodes
from costtui.model import CostError


class StorageError(CostError):
    """A file or folder could not be written or read."""


class DiskFull(StorageError):
    exit_code = exitcodes.DISK_FULL


class ReadOnlyFilesystem(StorageError):
    exit_code = exitcodes.READ_ONLY


class PermissionDenied(StorageError):
    exit_code = exitcodes.PERMISSION_DENIED


_BY_ERRNO: dict[int, tuple[type[StorageError], str]] = {
    errno.ENOSPC: (DiskFull, "no space left on the device"),
    errno.EDQUOT: (DiskFull, "disk quota exceeded"),
    errno.EROFS: (ReadOnlyFilesystem, "read-only filesystem"),
    errno.EACCES: (PermissionDenied, "permission denied"),
    errno.EPERM: (PermissionDenied, "operation not permitted"),
}

# DuckDB's IOException texts for the same conditions (it formats strerror into the message).
_BY_TEXT: tuple[tuple[str, int], ...] = (
    ("no space left on device", errno.ENOSPC),
    ("disk quota exceeded", errno.EDQUOT),
    ("read-only file system", errno.EROFS),
    ("permission denied", errno.EACCES),
    ("operation not permitted", errno.EPERM),
)


def error_number(exc: BaseException) -> int | None:
    """The errno of an OSError, or the one a DuckDB error message names."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno
    text = str(exc).lower()
    for needle, number in _BY_TEXT:
        if needle in text:
            return number
    return None


def storage_error(
    exc: BaseException, where: object, doing: str = "cannot write", full_hint: str = ""
) -> StorageError | None:
    """A one-line error naming `where` for a full disk, read-only filesystem or refused
    permission (`full_hint` is added for a full disk); None for any other failure."""
    number = error_number(exc)
    if number not in _BY_ERRNO:
        return None
    kind, reason = _BY_ERRNO[number]
    hint = f" ({full_hint})" if full_hint and kind is DiskFull else ""
    return kind(f"{where}: {doing}: {reason}{hint}")


def os_problem(exc: OSError, where: object = None, doing: str = "cannot write") -> CostError:
    """Any OSError as a one-line CostError: classified when it can be, plain otherwise."""
    place = where or exc.filename or "file"
    return storage_error(exc, place, doing) or CostError(f"{place}: {doing}: {exc.strerror or exc}")
