"""refresh: incremental windows, fault isolation, one atomic publish, fetches recorded."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from costtui.cache import CacheReader
from costtui.cache.writer import utcnow
from costtui.model import CostQuery, FetchResult, ReplaceScope
from costtui.providers.base import FetchContext, ProviderError, RefreshPolicy
from costtui.refresh import RefreshOptions, plan_window, run_refresh
from tests.cachefactory import row

TODAY = date(2026, 11, 15)


class FakeProvider:
    """A provider that records the windows it was asked for."""

    source = "fake"

    def __init__(self, name: str, cost: str = "1", fail: ProviderError | None = None,
                 policy: RefreshPolicy | None = None) -> None:
        self.name, self.cost, self.fail, self.windows = name, cost, fail, []
        self.policy = policy or RefreshPolicy()

    def check_auth(self) -> None:
        return None

    def fetch(self, context: FetchContext) -> FetchResult:
        self.windows.append((context.start, context.end))
        if self.fail:
            raise self.fail
        days = (context.end - context.start).days + 1
        rows = [row(context.start + timedelta(days=i), provider=self.name, cost=self.cost) for i in range(days)]
        return FetchResult(self.name, [ReplaceScope(self.name, context.start, context.end)], rows, api_calls=days)


def test_first_refresh_backfills_thirteen_months_then_only_the_restatement_window(cache_path):
    aws = FakeProvider("aws")
    run_refresh([aws], cache_path, RefreshOptions(today=TODAY))
    run_refresh([aws], cache_path, RefreshOptions(today=TODAY + timedelta(days=1)))
    assert aws.windows == [(date(2025, 10, 1), TODAY), (TODAY - timedelta(days=2), TODAY + timedelta(days=1))]


def test_plan_window_reaches_back_to_estimated_days_and_since():
    options = RefreshOptions(today=TODAY)
    last = TODAY - timedelta(days=1)
    assert plan_window(options, date(2025, 10, 1), last, [date(2026, 11, 2)], 3) == (date(2026, 11, 2), TODAY)
    assert plan_window(options, date(2025, 10, 1), last, [], 3) == (date(2026, 11, 12), TODAY)
    assert plan_window(RefreshOptions(today=TODAY, days=7), None, None, [], 3) == (date(2026, 11, 9), TODAY)
    since = RefreshOptions(today=TODAY, since=date(2025, 1, 1))
    assert plan_window(since, date(2025, 10, 1), last, [], 3) == (date(2025, 1, 1), TODAY)
    assert plan_window(RefreshOptions(today=TODAY, full=True), date(2025, 10, 1), last, [], 3)[0] == date(2025, 10, 1)
    # A cache left alone for two weeks catches up from its last day.
    assert plan_window(options, date(2025, 10, 1), TODAY - timedelta(days=14), [], 3)[0] == TODAY - timedelta(days=13)


def test_one_provider_down_does_not_stop_the_others(cache_path):
    down = FakeProvider("azure", fail=ProviderError("container not found", kind="not_found", api_calls=1))
    report = run_refresh([FakeProvider("aws", "2"), down, FakeProvider("gcp", "3")], cache_path,
                         RefreshOptions(today=TODAY, days=10))
    assert [o.provider for o in report.failed] == ["azure"]
    with CacheReader(cache_path).session() as q:
        totals = {g.keys["provider"]: g.cost for g in q.cost_groups(CostQuery(group_by=("provider",)))}
        fetches = {f.provider: f for f in q.latest_fetches()}
    assert totals == {"aws": Decimal(20), "gcp": Decimal(30)}
    assert fetches["azure"].status == "error"
    assert fetches["azure"].error_kind == "not_found"
    assert "container not found" in fetches["azure"].error_message
    assert fetches["azure"].api_calls == 1
    assert (fetches["aws"].status, fetches["aws"].row_count, fetches["aws"].api_calls) == ("ok", 10, 10)


def test_a_failed_provider_keeps_its_previous_data(cache_path):
    run_refresh([FakeProvider("aws", "5")], cache_path, RefreshOptions(today=TODAY, days=5))
    run_refresh([FakeProvider("aws", fail=ProviderError("throttled"))], cache_path, RefreshOptions(today=TODAY, days=5))
    with CacheReader(cache_path).session() as q:
        assert q.totals(CostQuery()) == {"USD": Decimal(25)}


def test_unexpected_exceptions_become_recorded_failures(cache_path):
    class Broken(FakeProvider):
        def fetch(self, context):
            raise KeyError("ResultsByTime")

    report = run_refresh([Broken("aws"), FakeProvider("gcp")], cache_path, RefreshOptions(today=TODAY, days=2))
    assert report.failed[0].error.kind == "unexpected"
    assert "KeyError" in str(report.failed[0].error)


def test_a_paid_provider_waits_out_its_minimum_interval_while_the_others_refresh(cache_path):
    aws, gcp = FakeProvider("aws"), FakeProvider("gcp")
    run_refresh([aws, gcp], cache_path, RefreshOptions(today=TODAY))
    aws.policy = RefreshPolicy(min_interval_hours=6)
    soon = utcnow() + timedelta(hours=2)

    report = run_refresh(
        [aws, gcp], cache_path, RefreshOptions(today=TODAY, now=soon)
    )

    skipped = {o.provider: o.skipped for o in report.outcomes}
    assert skipped["gcp"] is None
    assert skipped["aws"].startswith("fetched 2.0 h ago")
    assert (len(aws.windows), len(gcp.windows)) == (1, 2)
    assert report.failed == []

    # The hourly cron run six hours later fetches, though the last fetch ended seconds after its run began.
    later = utcnow() + timedelta(hours=6) - timedelta(seconds=40)
    run_refresh([aws], cache_path, RefreshOptions(today=TODAY, now=later))
    assert len(aws.windows) == 2


def test_asking_for_days_or_force_fetches_inside_the_interval(cache_path):
    aws = FakeProvider("aws", policy=RefreshPolicy(min_interval_hours=6))
    run_refresh([aws], cache_path, RefreshOptions(today=TODAY))
    for explicit in ({"days": 2}, {"force": True}, {"full": True}, {"since": date(2026, 1, 1)}):
        run_refresh([aws], cache_path, RefreshOptions(today=TODAY, **explicit))
    assert len(aws.windows) == 5


def test_a_failed_fetch_does_not_start_the_interval(cache_path):
    failing = FakeProvider("aws", fail=ProviderError("throttled"))
    run_refresh([failing], cache_path, RefreshOptions(today=TODAY))
    aws = FakeProvider("aws", policy=RefreshPolicy(min_interval_hours=6))
    report = run_refresh([aws], cache_path, RefreshOptions(today=TODAY))
    assert report.outcomes[0].skipped is None
    assert len(aws.windows) == 1


def test_when_every_provider_is_skipped_the_cache_is_not_rewritten(cache_path):
    aws = FakeProvider("aws", policy=RefreshPolicy(min_interval_hours=6))
    run_refresh([aws], cache_path, RefreshOptions(today=TODAY))
    before = cache_path.stat().st_mtime_ns
    run_refresh([aws], cache_path, RefreshOptions(today=TODAY))
    assert cache_path.stat().st_mtime_ns == before
    assert len(aws.windows) == 1


def test_an_unusable_temp_dir_is_one_clear_error(cache_path, tmp_path, monkeypatch):
    import tempfile

    from costtui.model import CostError

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    with pytest.raises(CostError, match=r"cannot create a scratch folder in .*gone: .*TMPDIR"):
        run_refresh([FakeProvider("aws")], cache_path, RefreshOptions(today=TODAY))


def test_a_provider_past_its_deadline_is_recorded_as_timed_out_and_the_others_are_published(cache_path):
    import threading
    import time

    release = threading.Event()

    class Hung(FakeProvider):
        def fetch(self, context):
            release.wait(30)  # a socket that never answers
            return super().fetch(context)

    hung = Hung("azure", policy=RefreshPolicy(timeout_seconds=0.5))
    began = time.monotonic()
    try:
        report = run_refresh([FakeProvider("aws", "2"), hung], cache_path, RefreshOptions(today=TODAY, days=3))
    finally:
        release.set()
    elapsed = time.monotonic() - began

    assert elapsed < 5
    [failed] = report.failed
    assert (failed.provider, failed.error.kind) == ("azure", "timeout")
    assert "within 0.5 s" in str(failed.error)
    with CacheReader(cache_path).session() as q:
        fetches = {f.provider: f for f in q.latest_fetches()}
        assert q.totals(CostQuery()) == {"USD": Decimal(6)}
    assert (fetches["azure"].status, fetches["azure"].error_kind) == ("error", "timeout")
    assert 0.5 <= fetches["azure"].duration_seconds < 5
    assert fetches["aws"].status == "ok" and fetches["aws"].duration_seconds < 5


def test_each_fetch_records_how_long_it_took(cache_path):
    import time

    class Slow(FakeProvider):
        def fetch(self, context):
            time.sleep(0.3)
            return super().fetch(context)

    report = run_refresh([Slow("gcp")], cache_path, RefreshOptions(today=TODAY, days=1))
    assert 0.3 <= report.outcomes[0].seconds < 3
    with CacheReader(cache_path).session() as q:
        [fetch] = q.latest_fetches()
    assert fetch.duration_seconds == pytest.approx(report.outcomes[0].seconds)
