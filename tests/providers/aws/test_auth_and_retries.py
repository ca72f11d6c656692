"""check_auth and fetch failures explained (credentials, SSO, permissions, network), and throttling retried."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from costtui.config import AwsConfig
from costtui.providers.aws.cost_explorer import AwsCostExplorerProvider
from costtui.providers.base import FetchContext, ProviderError

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzSECRETzzz"


class ScriptedCostExplorer(ThreadingHTTPServer):
    """A local HTTP endpoint answering get_cost_and_usage with scripted (status, JSON) replies."""

    def __init__(self, replies: list[tuple[int, dict]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.replies = replies
        self.ce_requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedCostExplorer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if "GetCostAndUsage" not in self.headers.get("X-Amz-Target", ""):
            self._sts_refusal()
            return
        index = min(self.server.ce_requests, len(self.server.replies) - 1)
        self.server.ce_requests += 1
        status, body = self.server.replies[index]
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _sts_refusal(self) -> None:
        payload = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            b"<Message>not scripted</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        )
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def scripted(replies: list[tuple[int, dict]]) -> Iterator[ScriptedCostExplorer]:
    server = ScriptedCostExplorer(replies)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


EMPTY_ANSWER = {"ResultsByTime": [], "DimensionValueAttributes": []}


def test_throttling_is_retried_with_backoff_until_it_succeeds(credentials, tmp_path):
    for server in scripted(
        [
            (400, {"__type": "ThrottlingException", "message": "Rate exceeded"}),
            (400, {"__type": "LimitExceededException", "message": "Too many requests"}),
            (200, EMPTY_ANSWER),
        ]
    ):
        provider = AwsCostExplorerProvider(AwsConfig(enabled=True, endpoint_url=server.url))

        result = provider.fetch(FetchContext(date(2026, 11, 1), date(2026, 11, 3), tmp_path))

        assert server.ce_requests == 3  # two refused attempts, then the answer
        assert result.api_calls == 1  # one billed request
        assert result.rows == []


def test_permission_denied_names_the_missing_permission(credentials):
    denied = {"__type": "AccessDeniedException", "message": "User: arn:aws:iam::1:user/x is not authorized"}
    for server in scripted([(400, denied)]):
        provider = AwsCostExplorerProvider(AwsConfig(enabled=True, endpoint_url=server.url))

        with pytest.raises(ProviderError) as caught:
            provider.check_auth()

        assert caught.value.kind == "permission_denied"
        assert caught.value.hint == "grant ce:GetCostAndUsage"
        assert server.ce_requests == 1  # a refusal is not retried


def test_throttled_past_every_retry_is_reported_with_the_calls_made(credentials, tmp_path):
    throttled = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    for server in scripted([(400, throttled)]):
        provider = AwsCostExplorerProvider(AwsConfig(enabled=True, endpoint_url=server.url), max_attempts=2)

        with pytest.raises(ProviderError) as caught:
            provider.fetch(FetchContext(date(2026, 11, 1), date(2026, 11, 3), tmp_path))

        assert caught.value.kind == "throttled"
        assert caught.value.api_calls == 1
        assert server.ce_requests == 2


def test_no_credentials_says_how_to_configure_them(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    for server in scripted([(200, EMPTY_ANSWER)]):
        provider = AwsCostExplorerProvider(AwsConfig(enabled=True, endpoint_url=server.url))

        with pytest.raises(ProviderError) as caught:
            provider.check_auth()

        assert caught.value.kind == "no_credentials"
        assert caught.value.hint == "set AWS_PROFILE or run aws configure / aws sso login"
        assert server.ce_requests == 0


def test_expired_sso_login_says_to_log_in_again(monkeypatch, tmp_path):
    config_file = tmp_path / "config"
    config_file.write_text(
        "[profile billing]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = BillingReadOnly\n"
        "region = us-east-1\n"
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("HOME", str(tmp_path))  # an empty ~/.aws/sso/cache: no token
    for server in scripted([(200, EMPTY_ANSWER)]):
        provider = AwsCostExplorerProvider(
            AwsConfig(enabled=True, profile="billing", endpoint_url=server.url)
        )

        with pytest.raises(ProviderError) as caught:
            provider.check_auth()

        assert caught.value.kind == "expired_token"
        assert caught.value.hint == "aws sso login --profile billing"


def test_unreachable_endpoint_is_named_and_no_secret_is_echoed(credentials, tmp_path):
    for server in scripted([(200, EMPTY_ANSWER)]):
        closed_url = server.url
    provider = AwsCostExplorerProvider(AwsConfig(enabled=True, endpoint_url=closed_url), max_attempts=1)

    with pytest.raises(ProviderError) as caught:
        provider.fetch(FetchContext(date(2026, 11, 1), date(2026, 11, 3), tmp_path))

    assert caught.value.kind == "unreachable"
    assert closed_url in str(caught.value)
    assert SECRET not in str(caught.value) and "AKIAEXAMPLE" not in str(caught.value)


def test_check_auth_passes_against_cost_explorer(moto, aws_config):
    AwsCostExplorerProvider(aws_config).check_auth()
