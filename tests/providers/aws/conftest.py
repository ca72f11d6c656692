"""A real moto_server on 127.0.0.1 for the AWS provider tests, plus helpers to queue Cost Explorer answers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import requests

from costtui.config import AwsConfig
from tests.emulators import free_port, http_ok, on_path, running_server


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    binary = on_path("moto_server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_server(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        ready=http_ok(f"{url}/moto-api/"),
        name="moto_server",
        env={**os.environ, "S3_UPLOAD_PART_MIN_SIZE": "1024"},
    ):
        yield url


@pytest.fixture
def moto(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto state and dummy credentials for one test."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=5).raise_for_status()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    return moto_url


def queue_ce_results(moto_url: str, pages: list[dict], account_id: str = "123456789012") -> None:
    """Queue Cost Explorer answers for the account whose credentials ask: each distinct
    request (or page) takes the next one, in order."""
    response = requests.post(
        f"{moto_url}/moto-api/static/ce/cost-and-usage-results",
        json={"results": pages, "account_id": account_id},
        timeout=5,
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def aws_config(moto: str) -> AwsConfig:
    return AwsConfig(enabled=True, endpoint_url=moto, region="us-east-1")
