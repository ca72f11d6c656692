"""The access log: one line per request, safe to print on a terminal and to parse.

The request target is written from the raw bytes the client sent, with every byte outside
printable ASCII, and the quote and backslash, as %XX: a client cannot put terminal escapes,
newlines (fake log lines) or a closing quote (fake fields) into the log. Headers are never
written (the Authorization token); the server's token and the values of query parameters named
like a credential (token, key, secret, password, auth) are written as ***."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import UTC, datetime
from typing import Any, TextIO

MAX_TARGET = 512  # longer targets are cut: a log line stays a line
# Query values a client may have put a credential in by mistake: never logged.
SENSITIVE = re.compile(r"(?i)((?:^|[?&])[^=&]*(?:token|key|secret|password|passwd|auth)[^=&]*=)[^&]*")


def sanitize(raw: bytes) -> str:
    out = []
    for byte in raw[:MAX_TARGET]:
        if 0x21 <= byte <= 0x7E and byte not in (0x22, 0x5C):
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out) + ("..." if len(raw) > MAX_TARGET else "")


def request_target(scope: dict[str, Any], secrets: tuple[str, ...] = ()) -> str:
    path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
    query = scope.get("query_string") or b""
    target = sanitize(path + (b"?" + query if query else b""))
    target = SENSITIVE.sub(r"\1***", target)
    for secret in secrets:
        target = target.replace(secret, "***")
    return target


class AccessLog:
    """Pure ASGI middleware (no per-request objects beyond the line): `stamp client "METHOD target"
    status bytes duration`."""

    def __init__(self, app: Any, stream: TextIO, secrets: tuple[str, ...] = ()) -> None:
        self.app = app
        self.stream = stream
        self.secrets = tuple(s for s in secrets if s)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 0
        sent = 0

        async def send_and_count(message: dict[str, Any]) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_count)
        finally:
            client = (scope.get("client") or ("-",))[0]
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            method = sanitize(scope.get("method", "-").encode("ascii", "replace"))
            line = (f'{stamp} {client} "{method} {request_target(scope, self.secrets)}" {status or 500} {sent} '
                    f"{(time.perf_counter() - began) * 1000:.0f}ms\n")
            with contextlib.suppress(OSError, ValueError):  # a closed stderr must not fail a request
                self.stream.write(line)
                self.stream.flush()
