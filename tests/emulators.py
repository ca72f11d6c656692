"""Real local servers for the tests (moto, Azurite, the BigQuery emulator, a pushgateway):
start one on 127.0.0.1, wait until it answers, and always stop it afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

from tests.conftest import in_ci

SETUP_HINT = "run bash tests/setup-emulators.sh"


def free_port() -> int:
    """A port nothing listens on right now (also handy as a closed port for error tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_tool(reason: str) -> NoReturn:
    """In CI a missing emulator is a failure, never a silent skip; on a laptop, a skip."""
    if in_ci():
        pytest.fail(f"{reason}: {SETUP_HINT}")
    pytest.skip(f"{reason}: {SETUP_HINT}")


def installed(path: Path, name: str) -> Path:
    """An emulator installed under .emulators/ by tests/setup-emulators.sh."""
    if not path.exists():
        missing_tool(f"{name} not installed at {path}")
    return path


def on_path(binary: str) -> str:
    """A tool installed on PATH (pip or apt) by tests/setup-emulators.sh."""
    found = shutil.which(binary)
    if found is None:
        missing_tool(f"{binary} not installed")
    return found


def port_open(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    return ready


def http_ok(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    return ready


@contextmanager
def running_server(
    argv: list[str],
    *,
    ready: Callable[[], bool],
    name: str,
    timeout: float = 30,
    log: Path | None = None,
    **popen: object,
) -> Iterator[subprocess.Popen]:
    """Run argv until the with-block ends; fail clearly (with the log's tail) if it never gets ready."""
    with open(log, "wb") if log else open(os.devnull, "wb") as output:
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:] if log else "(no log)"
                pytest.fail(f"{name} did not get ready within {timeout:.0f} s:\n{tail}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
