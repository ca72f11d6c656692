"""The one table of exit statuses for every command except `check` (whose contract is 0-3).

Pure constants: the model's errors carry one of these, the CLI returns it, the README
lists them. Values above 2 follow BSD sysexits.h so scripts and cron can tell them apart."""

from __future__ import annotations

OK = 0
FAILURE = 1
"""A provider failed, a file was refused, the cache is in use by another program."""
USAGE = 2
"""Bad arguments or config: unknown key, wrong type, value out of range."""
CORRUPT_CACHE = 65  # EX_DATAERR
"""The cache is corrupt or not a costtui cache; `--rebuild` sets it aside and starts over."""
READ_ONLY = 73  # EX_CANTCREAT
"""A file must be written on a read-only filesystem."""
DISK_FULL = 74  # EX_IOERR
"""No space left on the device (or quota exceeded) while writing."""
BUSY = 75  # EX_TEMPFAIL
"""Another costtui writer holds the cache lock (`--no-wait`, or the lock timeout passed)."""
PERMISSION_DENIED = 77  # EX_NOPERM
"""The user may not read or write a file or folder costtui needs."""
INTERRUPTED = 130
"""Ctrl-C."""

TABLE: tuple[tuple[int, str], ...] = (
    (OK, "ok"),
    (FAILURE, "failure: a provider failed, a file was refused, the cache is in use by another program"),
    (USAGE, "bad usage or config (unknown key, wrong type, value out of range)"),
    (CORRUPT_CACHE, "corrupt cache, or not a costtui cache (`--rebuild` sets it aside)"),
    (READ_ONLY, "read-only filesystem"),
    (DISK_FULL, "disk full"),
    (BUSY, "another costtui writer holds the cache lock; try again later"),
    (PERMISSION_DENIED, "permission denied"),
    (INTERRUPTED, "interrupted"),
)
