"""/metrics from the snapshot: the cost gauges a publish computed and stored (once, for every server
process and replica) are what a fresh computation gives; a new snapshot's first scrape is served from
them without computing; other settings are computed here; the status gauges are judged per scrape.

Known numbers as in test_serve.py (tests/faces.py), today 2026-11-15."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from costtui.api import answers as bodies
from costtui.api import app as app_module
from costtui.cache import CacheReader, CostQueries, open_writer
from costtui.cache.writer import utcnow
from costtui.exporters.gzipjoin import GzipHead
from costtui.exporters.prometheus import build_registry, cost_exposition, metrics_key, stored_metrics
from costtui.model import ReplaceScope
from tests.cachefactory import row
from tests.conftest import TODAY
from tests.faces import LAST_DAY, build_cache, known_rows
from tests.tagcache import build_tagged_known_cache

EC2 = (("account_id", "111"), ("cloud_provider", "aws"), ("cloud_service", "EC2"), ("currency", "USD"))


@pytest.fixture
def computed(monkeypatch) -> list[tuple]:
    """Each computation of /metrics cost gauges by the server (not read from the snapshot)."""
    calls: list[tuple] = []
    original = bodies.metrics_body

    def counting(queries, today, top, metric, gross, tag_labels=()):
        calls.append((metric, gross))
        return original(queries, today, top, metric, gross, tag_labels)

    monkeypatch.setattr(bodies, "metrics_body", counting)
    return calls


def samples(text: str, skip: tuple[str, ...] = ("costtui_data_age_seconds",)) -> dict:
    """Every sample by (name, labels); the data age moves with the clock between two computations."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples if s.name not in skip}


def publish(cache: Path, *answers, cost: str | None = None) -> None:
    """A refresh's publish storing `answers`; with `cost`, restating aws on the last day (a change)."""
    with open_writer(cache, today=TODAY, answers=answers) as writer:
        if cost is None:
            writer.record_alert_events([])
        else:
            writer.replace_charges([ReplaceScope("aws", LAST_DAY, LAST_DAY)], [row(LAST_DAY, cost=cost)])


def test_the_stored_cost_gauges_are_a_fresh_computation_from_charges(tmp_path):
    cache = build_tagged_known_cache(tmp_path / "tagged.duckdb")
    for metric, gross, labels in (("billed", False, ()), ("effective", True, ("team",))):
        publish(cache, stored_metrics(TODAY, 2, metric, gross, labels))
        with CacheReader(cache).session() as queries:
            blob = queries.stored_answer(metrics_key(TODAY, 2, metric, gross, labels))
            assert blob is not None
            stored = GzipHead.from_bytes(blob).data()
            plain = CostQueries(queries._con, use_rollups=False)  # every figure from `charges`
            assert stored == cost_exposition(plain, TODAY, 2, metric, gross, labels)
            # ... and the start of what `export prometheus` writes (the status gauges follow it)
            export = generate_latest(build_registry(plain, TODAY, 2, metric, gross, tag_labels=labels))
            assert export.startswith(stored) and b"costtui_data_fresh" not in stored
        assert b"costtui_tag_coverage_ratio" in stored
        assert (b"costtui_month_to_date_cost_by_tag" in stored) == bool(labels)


def test_a_new_snapshots_first_scrape_is_served_from_the_stored_gauges(start_server, tmp_path, computed):
    cache = build_cache(tmp_path / "known.duckdb", known_rows(), utcnow())
    defaults = stored_metrics(TODAY, 20, "billed", False, ())  # what ApiSettings defaults to
    publish(cache, defaults)
    api = start_server(cache, warm_poll_seconds=0)  # no warm-up: the scrape itself reads the snapshot
    first = api.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert samples(first.text)[("costtui_month_to_date_cost", EC2)] == 1350.0  # 14 x 100.00 - 50.00
    plain = api.get("/metrics", headers={"Accept-Encoding": "identity"})
    assert samples(plain.text) == samples(first.text) and "content-encoding" not in plain.headers
    publish(cache, defaults, cost="500.00")  # EC2's last day: 100.00 -> 500.00 (S3 and Lambda rows gone)
    after = api.get("/metrics")
    assert samples(after.text)[("costtui_month_to_date_cost", EC2)] == 1750.0
    assert computed == []  # never computed by the server
    with CacheReader(cache).session() as queries:
        expected = generate_latest(build_registry(queries, TODAY, 20))
    assert samples(after.text) == samples(expected.decode())


def test_settings_no_publish_stored_are_computed_by_the_server(start_server, tmp_path, computed):
    cache = build_cache(tmp_path / "known.duckdb", known_rows(), utcnow())
    publish(cache, stored_metrics(TODAY, 20, "billed", False, ()))
    api = start_server(cache, warm_poll_seconds=0, top_services_per_account=1)  # another cap than the stored one
    with CacheReader(cache).session() as queries:
        for params, metric, gross in (({}, "billed", False), ({"metric": "effective"}, "effective", False),
                                      ({"gross": "true"}, "billed", True)):
            answer = api.get("/metrics", params=params)
            assert answer.status_code == 200
            expected = generate_latest(build_registry(queries, TODAY, 1, metric=metric, gross=gross))
            assert samples(answer.text) == samples(expected.decode()), params
            assert samples(api.get("/metrics", params=params).text) == samples(answer.text)  # remembered
    assert computed == [("billed", False), ("effective", False), ("billed", True)]  # once each
    assert samples(api.get("/metrics", params={"metric": "effective"}).text)[
        ("costtui_month_to_date_cost", EC2)] == 1210.0  # 14 x 90.00 effective - 50.00


def test_the_status_gauges_are_judged_at_each_scrape_not_frozen_with_the_snapshot(start_server, tmp_path, monkeypatch):
    cache = build_cache(tmp_path / "known.duckdb", known_rows(), utcnow())
    api = start_server(cache, warm_poll_seconds=0, max_age_hours=1)
    fresh = ("costtui_data_fresh", (("cloud_provider", "aws"),))
    age = ("costtui_data_age_seconds", (("cloud_provider", "aws"),))
    now = samples(api.get("/metrics").text, skip=())
    assert now[fresh] == 1.0 and now[age] < 600

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(hours=2)

    monkeypatch.setattr(app_module, "datetime", Later)  # no publish since: the refresh stopped
    later = samples(api.get("/metrics", headers={"Accept-Encoding": "gzip"}).text, skip=())
    assert later[fresh] == 0.0 and later[age] >= 7200


def test_a_joined_gzip_body_is_one_member_every_client_reads():
    data = b"".join(b"costtui_daily_cost{account_id=\"%d\"} %d.5\n" % (i, i) for i in range(20000))
    head = GzipHead.from_bytes(GzipHead.of(data).to_bytes())
    for tail in (b"", b"costtui_build_info{version=\"x\"} 1.0\n"):
        joined = head.join(tail)
        assert gzip.decompress(joined) == data + tail
        reader = httpx._decoders.GZipDecoder()  # stops after one member: a second would be dropped
        assert reader.decode(joined) + reader.flush() == data + tail
    assert head.data() == data


def test_refresh_import_and_demo_store_the_configured_metrics(tmp_path, start_server, computed):
    config = tmp_path / "costtui.toml"
    config.write_text('[display]\nmetric = "effective"\n\n[export]\ntop_services_per_account = 3\n')
    cache = tmp_path / "demo.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "costtui", "--config", str(config), "--cache", str(cache), "demo", "--no-tui",
         "--rows", "3000"],
        capture_output=True, text=True, env={**os.environ, "COSTTUI_TODAY": TODAY.isoformat()}, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(cache, copy)
    api = start_server(copy, warm_poll_seconds=0, metric="effective", top_services_per_account=3)
    served = api.get("/metrics").text
    assert computed == []
    with CacheReader(copy).session() as queries:
        expected = generate_latest(build_registry(queries, TODAY, 3, metric="effective"))
    assert samples(served) == samples(expected.decode())


def test_a_stored_body_for_another_day_is_not_served(start_server, tmp_path, computed):
    cache = build_cache(tmp_path / "known.duckdb", known_rows(), utcnow())
    publish(cache, stored_metrics(date(2026, 11, 14), 20, "billed", False, ()))
    api = start_server(cache, warm_poll_seconds=0)
    assert samples(api.get("/metrics").text)[("costtui_month_to_date_cost", EC2)] == 1350.0
    assert computed == [("billed", False)]
