"""`costtui alerts` runs: each finding recorded once, sent once, retried until every channel has it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from costtui.alerts.run import run_alerts
from costtui.cache import CacheReader
from costtui.config.schema import (
    AlertsConfig,
    Config,
    NotificationsConfig,
    ThresholdRule,
    WebhookConfig,
)
from tests.cachefactory import row, write_rows

TODAY = date(2026, 11, 15)


@dataclass(frozen=True)
class Result:  # the shape of costtui.alerts.notify.ChannelResult
    channel: str
    error: str | None = None
    warning: str | None = None


class FakeChannels:
    """Records what would be sent; fails while `failing` is set."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.failing = False

    def __call__(self, config, events):
        self.batches.append([event.rule for event in events])
        return [Result("webhook", "webhook to http://127.0.0.1 failed: HTTP 500" if self.failing else None)]


def config_with(*rules: ThresholdRule, notify: bool = True) -> Config:
    webhook = WebhookConfig(enabled=notify, url="http://127.0.0.1:9/hook")
    return Config(alerts=AlertsConfig(thresholds=list(rules), notifications=NotificationsConfig(webhook=webhook)))


AWS_MONTH = ThresholdRule("aws-month", provider="aws", warning=Decimal(500))
AWS_DAY = ThresholdRule("aws-day", period="day", provider="aws", warning=Decimal(50))


@pytest.fixture
def cache(cache_path):
    write_rows(cache_path, [row(date(2026, 11, 1) + timedelta(days=n), cost="100.00") for n in range(14)])
    return cache_path


def recorded(cache) -> set[str]:
    with CacheReader(cache).session() as queries:
        return {event["rule"] for event in queries.alert_events()}


def test_a_finding_is_recorded_and_sent_once(cache):
    channels = FakeChannels()
    first = run_alerts(cache, config_with(AWS_MONTH, AWS_DAY), TODAY, notifier=channels)
    second = run_alerts(cache, config_with(AWS_MONTH, AWS_DAY), TODAY, notifier=channels)
    assert {e.rule for e in first.new} == {"aws-month", "aws-day"}
    assert {e.rule for e in second.findings} == {"aws-month", "aws-day"}  # still true ...
    assert second.new == [] and second.sent == []  # ... but not news
    assert channels.batches == [["aws-month", "aws-day"]]
    assert recorded(cache) == {"aws-month", "aws-day"}
    with CacheReader(cache).session() as queries:
        assert all(event["notified_at"] is not None for event in queries.alert_events())


def test_a_failed_channel_is_retried_next_run_with_what_it_missed(cache):
    channels = FakeChannels()
    channels.failing = True
    failed = run_alerts(cache, config_with(AWS_MONTH), TODAY, notifier=channels)
    assert [r.error is not None for r in failed.failed_channels] == [True]
    # A new finding appears meanwhile; the next run sends it together with the undelivered one.
    channels.failing = False
    retried = run_alerts(cache, config_with(AWS_MONTH, AWS_DAY), TODAY, notifier=channels)
    assert retried.failed_channels == []
    assert channels.batches == [["aws-month"], ["aws-month", "aws-day"]]
    assert run_alerts(cache, config_with(AWS_MONTH, AWS_DAY), TODAY, notifier=channels).sent == []


def test_dry_run_records_and_sends_nothing(cache):
    channels = FakeChannels()
    run = run_alerts(cache, config_with(AWS_MONTH), TODAY, record=False, notifier=channels)
    assert [e.rule for e in run.new] == ["aws-month"]
    assert channels.batches == [] and recorded(cache) == set()


def test_without_a_channel_findings_are_recorded_and_wait(cache):
    channels = FakeChannels()
    quiet = run_alerts(cache, config_with(AWS_MONTH, notify=False), TODAY, notifier=channels)
    assert [e.rule for e in quiet.new] == ["aws-month"] and quiet.channels == []
    assert channels.batches == [] and recorded(cache) == {"aws-month"}
    # A channel enabled soon after still gets what it missed.
    run_alerts(cache, config_with(AWS_MONTH), TODAY, notifier=channels)
    assert channels.batches == [["aws-month"]]


def test_no_notify_records_without_sending(cache):
    channels = FakeChannels()
    run_alerts(cache, config_with(AWS_MONTH), TODAY, send=False, notifier=channels)
    assert channels.batches == [] and recorded(cache) == {"aws-month"}


def test_nothing_found_leaves_the_cache_file_alone(cache):
    before = cache.stat().st_mtime_ns
    run = run_alerts(cache, config_with(replace(AWS_MONTH, warning=Decimal(5000))), TODAY, notifier=FakeChannels())
    assert run.findings == [] and cache.stat().st_mtime_ns == before


def test_a_partial_delivery_is_not_sent_again(cache):
    batches = []

    def refused_one_recipient(config, events):
        batches.append([event.rule for event in events])
        return [Result("email", warning="email via 127.0.0.1:25 delivered, but recipient refused: x@example.com")]

    run_alerts(cache, config_with(AWS_MONTH), TODAY, notifier=refused_one_recipient)
    run_alerts(cache, config_with(AWS_MONTH), TODAY, notifier=refused_one_recipient)
    assert batches == [["aws-month"]]
