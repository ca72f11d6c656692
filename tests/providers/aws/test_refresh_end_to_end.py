"""`costtui refresh --provider aws` against moto: the cache holds the bill, and refreshes cost what they should."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtui.cache import CacheReader
from costtui.model import CostQuery
from tests.providers.aws.helpers import queue_truth, small_org

pytestmark = pytest.mark.emulator

TODAY = date(2026, 11, 15)


def write_config(path: Path, moto_url: str, min_refresh_hours: float = 0) -> Path:
    path.write_text(
        f'demo_today = "{TODAY}"\n\n'
        "[providers.aws]\n"
        "enabled = true\n"
        f'endpoint_url = "{moto_url}"\n'
        'region = "us-east-1"\n'
        "restatement_days = 3\n"
        f"min_refresh_hours = {min_refresh_hours}\n"
    )
    return path


def refresh(config: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "costtui",
            "--config",
            str(config),
            "--cache",
            str(cache),
            "refresh",
            "--provider",
            "aws",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def cached_day_service(cache: Path, metric: str) -> dict[tuple[str, str], Decimal]:
    with CacheReader(cache).session() as queries:
        groups = queries.cost_groups(
            CostQuery(providers=("aws",), group_by=("day", "service"), metric=metric)
        )
    return {(g.keys["day"], g.keys["service"]): g.cost for g in groups}


def source_day_service(truth, start: date, end: date, metric: str) -> dict[tuple[str, str], Decimal]:
    index = 0 if metric == "billed" else 1
    return {
        (day.isoformat(), service): amounts[index]
        for (day, service), amounts in truth.per_day_service().items()
        if start <= day <= end
    }


def test_refresh_fills_the_cache_and_an_incremental_refresh_asks_only_for_the_restated_days(
    moto, tmp_path, cache_path
):
    config = write_config(tmp_path / "config.toml", moto)
    first_start = TODAY - timedelta(days=2)
    truth = small_org(first_start - timedelta(days=1), 4)
    queued = queue_truth(moto, truth, first_start, TODAY)

    first = refresh(config, cache_path, "--quiet", "--days", "3")

    assert first.returncode == 0, first.stderr
    for metric in ("billed", "effective"):
        cached = cached_day_service(cache_path, metric)
        source = source_day_service(truth, first_start, TODAY, metric)
        assert set(cached) == set(source)
        assert all(abs(cached[key] - source[key]) < Decimal("0.005") for key in source)  # to the cent

    # Next run: nothing new is cached after today, so only the restatement window
    # (today - 3 .. today) is fetched: 1 discovery + 2 requests for each of the 5 charge categories.
    second_start = TODAY - timedelta(days=3)
    queued_again = queue_truth(moto, truth, second_start, TODAY)

    second = refresh(config, cache_path, "--quiet")

    assert second.returncode == 0, second.stderr
    with CacheReader(cache_path).session() as queries:
        fetches = [f for f in queries.latest_fetches() if f.provider == "aws"]
    latest = fetches[0]
    assert (latest.range_start, latest.range_end) == (second_start, TODAY)
    assert latest.api_calls == queued_again == queued == 11
    cached = cached_day_service(cache_path, "billed")
    source = source_day_service(truth, second_start, TODAY, "billed")
    assert all(abs(cached[key] - source[key]) < Decimal("0.005") for key in source)


def aws_fetches(cache: Path) -> int:
    """Fetch attempts recorded for AWS (each one costs Cost Explorer requests)."""
    with duckdb.connect(str(cache), read_only=True) as con:
        return con.execute("SELECT count(*) FROM fetches WHERE provider = 'aws'").fetchone()[0]


def test_cron_refresh_inside_the_minimum_interval_costs_no_cost_explorer_request(moto, tmp_path, cache_path):
    config = write_config(tmp_path / "config.toml", moto, min_refresh_hours=6)
    truth = small_org(TODAY - timedelta(days=4), 5)
    assert queue_truth(moto, truth, TODAY - timedelta(days=2), TODAY) == 11
    assert refresh(config, cache_path, "--quiet", "--days", "3").returncode == 0
    published = cache_path.stat().st_mtime_ns

    # The hourly cron job an hour later: AWS is skipped, nothing is asked, nothing is rewritten.
    again = refresh(config, cache_path)

    assert again.returncode == 0, again.stderr
    assert "aws: skipped, fetched 0.0 h ago" in again.stderr
    assert "providers.aws.min_refresh_hours" in again.stderr and "--force" in again.stderr
    assert aws_fetches(cache_path) == 1
    assert cache_path.stat().st_mtime_ns == published

    # --force fetches anyway (the restatement window: 11 requests).
    assert queue_truth(moto, truth, TODAY - timedelta(days=3), TODAY) == 11
    forced = refresh(config, cache_path, "--quiet", "--force")
    assert forced.returncode == 0, forced.stderr
    assert aws_fetches(cache_path) == 2
    with CacheReader(cache_path).session() as queries:
        latest = next(f for f in queries.latest_fetches() if f.provider == "aws")
    assert (latest.range_start, latest.api_calls) == (TODAY - timedelta(days=3), 11)
