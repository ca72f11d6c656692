"""`costtui serve` on uvicorn: the socket, the worker processes, limits, shutdown and logging.

The listening socket is bound here, before uvicorn starts, so that a bad address or a port in
use is one line (`ServeError`) rather than a logged traceback. With `--workers N` uvicorn's
supervisor runs N processes on that one socket, each building the app from the settings passed in
$COSTTUI_API_SETTINGS (never the token: it stays in $COSTTUI_API_TOKEN). SIGTERM stops accepting,
lets in-flight requests finish (up to `GRACEFUL_SECONDS`), then exits 0.

Loopback by default; any other address needs a bearer token from COSTTUI_API_TOKEN."""

from __future__ import annotations

import errno
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from costtui import exitcodes
from costtui.api.settings import TOKEN_ENV, ApiSettings
from costtui.model import CostError

SETTINGS_ENV = "COSTTUI_API_SETTINGS"
BACKLOG = 2048  # pending connections the kernel queues (the standard library server had 5)
KEEP_ALIVE_SECONDS = 15  # an idle kept-alive connection is closed after this
MAX_CONNECTIONS = 1000  # per worker; beyond it uvicorn answers 503 at once
GRACEFUL_SECONDS = 30  # SIGTERM: in-flight requests get this long to finish
MAX_HEADER_BYTES = 16 * 1024


class ServeError(CostError):
    """The server cannot start; the message names the option or address."""


class ServeUsageError(ServeError):
    exit_code = exitcodes.USAGE


class ServePermissionError(ServeError):
    exit_code = exitcodes.PERMISSION_DENIED  # a port below 1024 without the capability


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise ServeUsageError(
            f"--host {host}: serving beyond loopback needs a bearer token; set {TOKEN_ENV} in the environment"
        )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket, or one line saying why not (port in use, out of range, no such address)."""
    bare = host.strip("[]")
    if not 0 <= port <= 65535:  # getaddrinfo would quietly wrap it to 16 bits
        raise ServeError(f"cannot listen on {host}:{port}: the port must be 0-65535 (--port or [serve] port)")
    try:
        infos = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, OverflowError, UnicodeError) as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {_reason(exc)}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except (OSError, OverflowError) as exc:
        sock.close()
        kind = ServePermissionError if getattr(exc, "errno", None) == errno.EACCES else ServeError
        raise kind(f"cannot listen on {host}:{port}: {_reason(exc)}") from None
    sock.set_inheritable(True)
    return sock


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0]


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def build_app(settings: ApiSettings, access_log: TextIO | None) -> Any:
    from costtui.api.accesslog import AccessLog
    from costtui.api.app import create_app

    app = create_app(settings)
    return AccessLog(app, access_log, (settings.token or "",)) if access_log is not None else app


def uvicorn_config(app: Any, workers: int = 1, factory: bool = False) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        factory=factory,
        workers=workers,
        log_config=None,  # ours: warnings only, one line each (configure_logging)
        access_log=False,  # ours: sanitized (accesslog.py)
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        limit_concurrency=MAX_CONNECTIONS,
        backlog=BACKLOG,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        proxy_headers=False,
        lifespan="on",
    )


def configure_logging(stream: TextIO) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("costtui serve: %(message)s"))
    for name in ("uvicorn", "uvicorn.error", "costtui.api"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.WARNING)
        logger.propagate = False


# --- workers: the settings travel in the environment ----------------------------------------------


@dataclass(frozen=True)
class WorkerSettings:
    """ApiSettings without the token and with "today" as the config's pin (resolved per request)."""

    settings: dict[str, Any]
    pinned_today: str | None
    quiet: bool


def app_from_environment() -> Any:
    """uvicorn's factory in each worker process."""
    from costtui.core.today import resolve_today

    carried = json.loads(os.environ[SETTINGS_ENV])
    pinned = date.fromisoformat(carried["pinned_today"]) if carried["pinned_today"] else None
    values = carried["settings"]
    settings = ApiSettings(**{**values, "cache_path": Path(values["cache_path"])},
                           today=lambda: resolve_today(pinned), token=os.environ.get(TOKEN_ENV) or None)
    configure_logging(sys.stderr)
    return build_app(settings, None if carried["quiet"] else sys.stderr)


def _carry(settings: ApiSettings, pinned_today: date | None, quiet: bool) -> str:
    values = {k: v for k, v in asdict(settings).items() if k not in ("today", "token")}
    values["cache_path"] = str(values["cache_path"])
    return json.dumps(asdict(WorkerSettings(values, pinned_today.isoformat() if pinned_today else None, quiet)))


# --- serve --------------------------------------------------------------------------------------


def serve(settings: ApiSettings, host: str, port: int, *, workers: int = 1, quiet: bool = False,
          pinned_today: date | None = None) -> int:
    """Serve until SIGTERM or Ctrl-C; 0 on a clean stop."""
    import uvicorn

    check_binding(host, settings.token)
    sock = bind_socket(host, port)
    configure_logging(sys.stderr)
    guard = "bearer token required" if settings.token else "no token: loopback only"
    print(f"costtui: serving {url_of(sock)} ({guard}, {workers} worker{'s' * (workers > 1)}); "
          f"cache {settings.cache_path}", file=sys.stderr, flush=True)
    # uvicorn re-raises the signal that stopped it under the handler it found: make that a no-op
    # so a SIGTERM'd server exits 0 after its graceful shutdown.
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            os.environ[SETTINGS_ENV] = _carry(settings, pinned_today, quiet)
            config = uvicorn_config("costtui.api.server:app_from_environment", workers=workers, factory=True)
            Multiprocess(config, sockets=[sock]).run()
        else:
            app = build_app(settings, None if quiet else sys.stderr)
            uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    print("costtui: server stopped", file=sys.stderr, flush=True)
    return 0


def _ignore(signum: int, frame: Any) -> None:
    pass


class BackgroundServer:
    """The same server on a thread, for tests and benchmarks: `with BackgroundServer(app) as url:`."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self.sock = bind_socket(host, port)
        self.url = url_of(self.sock)
        self.server = uvicorn.Server(uvicorn_config(app))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=GRACEFUL_SECONDS + 5)
        self.sock.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
