"""`costtui serve`: the REST API over HTTP with the standard library's threading server.

Each request opens the cache read-only for just that request (the snapshot protocol),
so a cron refresh publishing meanwhile is seen by the next request, never half-way.
Loopback by default; any other address needs a bearer token from COSTTUI_API_TOKEN."""

from __future__ import annotations

import contextlib
import ipaddress
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from costtui import __version__
from costtui.api.app import ApiApp, Response
from costtui.model import CostError

TOKEN_ENV = "COSTTUI_API_TOKEN"
MAX_DISCARDED_BODY = 64 * 1024
REQUEST_TIMEOUT_SECONDS = 30  # a client that stops sending mid-request frees its thread


class ServeError(CostError):
    """The server cannot start; the message names the option or address."""


class ServeUsageError(ServeError):
    exit_code = 2


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


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: ApiApp, access_log=sys.stderr) -> None:
        if ":" in address[0]:
            import socket

            self.address_family = socket.AF_INET6
        self.app = app
        self.access_log = access_log
        super().__init__(address, ApiHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class ApiHandler(BaseHTTPRequestHandler):
    server: ApiServer
    server_version = f"costtui/{__version__}"
    protocol_version = "HTTP/1.1"
    timeout = REQUEST_TIMEOUT_SECONDS
    # Headers and body go out in two writes; with Nagle on, a kept-alive client's delayed
    # ACK stalls the body ~40 ms.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _other(self) -> None:
        self._answer(send_body=True)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _other

    def _answer(self, send_body: bool) -> None:
        began = time.perf_counter()
        self._discard_request_body()
        try:
            response = self.server.app.handle(self.command, self.path, self.headers.get("Authorization"))
        except Exception as exc:  # a bug must answer 500 and leave the server running
            from costtui.api.app import error_response

            self._log_line(f"internal error on {self.path}: {type(exc).__name__}: {exc}")
            response = error_response(500, f"internal error: {type(exc).__name__}")
        self._send(response, send_body)
        self._log_access(response, time.perf_counter() - began)

    def _discard_request_body(self) -> None:
        """Nothing reads a body here, but a kept-alive connection must not parse it as the next request."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if self.headers.get("Transfer-Encoding") or length < 0 or length > MAX_DISCARDED_BODY:
            self.close_connection = True
        elif length:
            self.rfile.read(length)

    def _send(self, response: Response, send_body: bool) -> None:
        self.send_response_only(response.status)
        self.send_header("Server", self.version_string())
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def _log_access(self, response: Response, seconds: float) -> None:
        # The request line only: never headers (the Authorization token).
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = (
            f"{stamp} {self.client_address[0]} \"{self.command} {self.path}\" "
            f"{response.status} {len(response.body)} {seconds * 1000:.0f}ms\n"
        )
        self._write(line)

    def log_message(self, format: str, *args) -> None:
        # Malformed requests and timeouts that BaseHTTPRequestHandler reports itself.
        self._log_line(format % args)

    def _log_line(self, text: str) -> None:
        self._write(f"costtui serve: {self.client_address[0]}: {text}\n")

    def _write(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed stderr must not kill a request
            self.server.access_log.write(line)
            self.server.access_log.flush()


def serve(app: ApiApp, host: str, port: int, quiet: bool = False) -> int:
    """Serve until SIGTERM or Ctrl-C; 0 on a clean stop."""
    check_binding(host, app.settings.token)
    try:
        server = ApiServer((host, port), app, access_log=_Null() if quiet else sys.stderr)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    stopping = threading.Event()

    def stop(signum, frame) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    previous = signal.signal(signal.SIGTERM, stop)
    guard = "bearer token required" if app.settings.token else "no token: loopback only"
    print(f"costtui: serving {server.url} ({guard}); cache {app.settings.cache_path}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    print("costtui: server stopped", file=sys.stderr, flush=True)
    return 0


class _Null:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
