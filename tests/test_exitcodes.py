"""The one exit-code table: distinct codes, every error class on it, the README in step."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import duckdb
import pytest

from costtui import exitcodes
from costtui.cache.errors import CacheBusy, CacheCorrupt, CacheInUse
from costtui.config import ConfigError
from costtui.config.fast import FastConfigError
from costtui.oserrors import DiskFull, PermissionDenied, ReadOnlyFilesystem, storage_error

README = Path(__file__).resolve().parents[1] / "README.md"


def test_codes_are_distinct_and_the_readme_lists_each_one():
    codes = [code for code, _ in exitcodes.TABLE]
    assert len(codes) == len(set(codes))
    documented = {int(code) for code in re.findall(r"^\| (\d+) \| ", README.read_text(), re.MULTILINE)}
    assert documented == set(codes)


def test_each_expected_failure_carries_its_code():
    assert CacheInUse.exit_code == exitcodes.FAILURE
    assert CacheCorrupt.exit_code == exitcodes.CORRUPT_CACHE
    assert CacheBusy.exit_code == exitcodes.BUSY
    assert ConfigError.exit_code == FastConfigError.exit_code == exitcodes.USAGE
    assert DiskFull.exit_code == exitcodes.DISK_FULL
    assert ReadOnlyFilesystem.exit_code == exitcodes.READ_ONLY
    assert PermissionDenied.exit_code == exitcodes.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), DiskFull),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), DiskFull),
        (OSError(errno.EROFS, "Read-only file system"), ReadOnlyFilesystem),
        (PermissionError(errno.EACCES, "Permission denied"), PermissionDenied),
        (duckdb.IOException('IO Error: Could not write file "x": No space left on device'), DiskFull),
        (duckdb.IOException('IO Error: Cannot open file "x": Read-only file system'), ReadOnlyFilesystem),
        (duckdb.IOException('IO Error: Cannot open file "x": Permission denied'), PermissionDenied),
    ],
)
def test_storage_failures_are_classified_from_errno_or_duckdb_text(error, kind):
    problem = storage_error(error, "/srv/cache.duckdb")
    assert isinstance(problem, kind)
    assert str(problem).startswith("/srv/cache.duckdb: cannot write: ")


def test_other_failures_are_left_to_the_caller():
    assert storage_error(OSError(errno.ECONNREFUSED, "Connection refused"), "x") is None
    assert storage_error(duckdb.IOException("IO Error: Could not set lock on file"), "x") is None
