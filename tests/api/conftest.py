"""Fixtures of the API tests."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from costtui.api.app import create_app
from costtui.api.server import BackgroundServer
from costtui.api.settings import ApiSettings
from tests.conftest import TODAY


@pytest.fixture
def start_server():
    servers: list[BackgroundServer] = []

    def start(cache: Path, token: str | None = None, **settings) -> httpx.Client:
        app = create_app(ApiSettings(cache_path=cache, today=lambda: TODAY, token=token, **settings))
        server = BackgroundServer(app)
        servers.append(server)
        return httpx.Client(base_url=server.start(), timeout=10)

    yield start
    for server in servers:
        server.stop()
