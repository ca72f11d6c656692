"""AWS against dead, hung, dying and throttling endpoints: each fails within its deadline, recorded with its kind."""

from __future__ import annotations

import os

import boto3

from costtui.config import AwsConfig
from costtui.providers.aws.cost_explorer import AwsCostExplorerProvider
from costtui.providers.aws.data_exports import AwsDataExportsProvider
from tests.emulators import free_port, http_ok, on_path, running_server
from tests.netfaults import (
    SlowProxy,
    black_hole,
    refresh_beside_a_healthy_provider,
    refresh_while_the_server_dies,
)
from tests.providers.aws.test_auth_and_retries import credentials, scripted  # noqa: F401  (fixture)


def ce_at(port: int, **overrides: object) -> AwsCostExplorerProvider:
    return AwsCostExplorerProvider(AwsConfig(enabled=True, endpoint_url=f"http://127.0.0.1:{port}", **overrides))


def test_a_refused_port_fails_within_seconds(credentials, cache_path):  # noqa: F811
    fetch, elapsed = refresh_beside_a_healthy_provider(ce_at(free_port()), cache_path)
    assert elapsed < 10
    assert (fetch.status, fetch.error_kind) == ("error", "unreachable")
    assert "cannot reach http://127.0.0.1:" in fetch.error_message
    assert fetch.duration_seconds < 10


def test_a_black_holed_port_is_given_up_at_its_deadline(credentials, cache_path):  # noqa: F811
    with black_hole() as port:
        fetch, elapsed = refresh_beside_a_healthy_provider(ce_at(port, timeout_seconds=2), cache_path)
    assert elapsed < 2 + 3
    assert fetch.error_kind in ("timeout", "unreachable")  # our deadline, or botocore's read timeout at it
    assert 1.5 <= fetch.duration_seconds < 2 + 3


def test_throttling_backs_off_until_the_deadline_then_fails_as_throttled(credentials, cache_path):  # noqa: F811
    throttled = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    for server in scripted([(400, throttled)]):
        provider = AwsCostExplorerProvider(AwsConfig(enabled=True, endpoint_url=server.url, timeout_seconds=8),
                                           max_attempts=100)
        fetch, elapsed = refresh_beside_a_healthy_provider(provider, cache_path)
        requests = server.ce_requests
    assert elapsed < 8 + 2
    assert fetch.error_kind == "throttled", fetch.error_message
    assert 2 <= requests <= 15  # it retried, with pauses (not a tight loop), and stopped at the deadline


def test_moto_stopped_in_the_middle_of_a_download(tmp_path, credentials, cache_path):  # noqa: F811
    port = free_port()
    with running_server([on_path("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                        ready=http_ok(f"http://127.0.0.1:{port}/moto-api/"), name="moto_server",
                        env={**os.environ}) as moto:
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
        s3.create_bucket(Bucket="exports")
        key = "cur2/data/BILLING_PERIOD=2026-11/cur2-00001.csv.gz"
        s3.put_object(Bucket="exports", Key=key, Body=os.urandom(12_000_000))  # seconds through the proxy
        proxy = SlowProxy(port, rate=2_000_000)
        try:
            provider = AwsDataExportsProvider(AwsConfig(
                enabled=True, source="data_exports", bucket="exports", prefix="cur2/",
                endpoint_url=f"http://127.0.0.1:{proxy.port}"))
            fetch, after_stop = refresh_while_the_server_dies(provider, cache_path, moto, proxy, 500_000)
        finally:
            proxy.close()
    assert after_stop < 10, "a dead server is given up within seconds"
    assert (fetch.status, fetch.error_kind) == ("error", "unreachable"), fetch.error_message
