"""Identical requests between two publishes, answered from memory before any routing or validation.

Pure ASGI, in front of FastAPI: a GET whose (path, raw query, Accept-Encoding choice, today) was
answered 200 on the current snapshot gets the same bytes again - the request still passes the
token check first. A 200 is remembered only if no publish happened while it was computed (the
snapshot id is read before and after), so an answer is never filed under a newer snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from costtui.api.auth import authorized
from costtui.api.memo import Answers

# Not /metrics: its status gauges (data age, freshness) are judged on each scrape.
REPLAYED_PREFIXES = ("/api/v1/",)


class Replay:
    def __init__(self, app: Any, answers: Answers, token: str | None, today: Callable[[], date]) -> None:
        self.app = app
        self.answers = answers
        self.token = token
        self.today = today

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(REPLAYED_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if not authorized(_text(headers.get(b"authorization")), self.token):
            await self.app(scope, receive, send)  # the routes answer 401 in the one error shape
            return
        gzip = b"gzip" in headers.get(b"accept-encoding", b"")
        key = ("replay", scope["path"], scope["query_string"], gzip, self.today())
        snapshot = self.answers.source.current_id()
        found = self.answers.memo.get(snapshot, key)
        if found is not None:
            start_headers, body = found
            await send({"type": "http.response.start", "status": 200, "headers": start_headers})
            await send({"type": "http.response.body", "body": body})
            return
        captured: dict[str, Any] = {"body": []}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
                if not message.get("more_body") and captured.get("status") == 200 \
                        and snapshot is not None and self.answers.source.current_id() == snapshot:
                    self.answers.memo.put(snapshot, key, (captured["headers"], b"".join(captured["body"])))
            await send(message)

        await self.app(scope, receive, capture)


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
