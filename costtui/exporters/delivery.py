"""Delivering exports: atomic file writes (node_exporter never reads half a file) and Pushgateway pushes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from costtui.model import CostError
from costtui.oserrors import storage_error

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

PUSH_TIMEOUT_SECONDS = 10.0


class ExportError(CostError):
    """An export could not be written or pushed."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write a temp file in the same folder (its name never ends in .prom), then rename it
    over `path`: readers see the old content or the new, never a partial file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _write_error(f"{path}: cannot write to {folder}: {exc.strerror}", exc) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private; exports are read by other users (node_exporter).
        os.chmod(temp_name, 0o666 & ~_umask())
        os.replace(temp_name, path)
    except OSError as exc:
        _remove_quietly(temp_name)
        raise _write_error(f"{path}: cannot write: {exc.strerror or exc}", exc) from None
    except BaseException:
        _remove_quietly(temp_name)
        raise


def push(registry: CollectorRegistry, gateway: str, job: str, timeout: float = PUSH_TIMEOUT_SECONDS) -> None:
    """Replace the job's metrics on a Pushgateway; an unreachable gateway is one clear error."""
    from urllib.error import HTTPError, URLError

    from prometheus_client import push_to_gateway

    try:
        push_to_gateway(gateway, job=job, registry=registry, timeout=timeout)
    except HTTPError as exc:
        raise ExportError(f"pushgateway {gateway}: HTTP {exc.code} {exc.reason}") from None
    except URLError as exc:
        raise ExportError(f"pushgateway {gateway}: unreachable ({exc.reason})") from None
    except (OSError, ValueError) as exc:
        raise ExportError(f"pushgateway {gateway}: cannot push ({exc})") from None


def _write_error(message: str, exc: OSError) -> ExportError:
    """The message as is; the exit status of a full disk, read-only folder or refused permission."""
    error = ExportError(message)
    storage = storage_error(exc, "")
    if storage is not None:
        error.exit_code = storage.exit_code
    return error


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_quietly(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
