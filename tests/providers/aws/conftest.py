"""A real moto_server on 127.0.0.1 for the AWS provider tests, plus helpers to queue Cost Explorer answers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from costtui.config import AwsConfig
from tests.conftest import in_ci


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    binary = shutil.which("moto_server")
    if not binary:
        message = "moto_server not found: run bash tests/setup-emulators.sh"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    env = {**os.environ, "S3_UPLOAD_PART_MIN_SIZE": "1024"}
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{url}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start on {url}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


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
