"""One `costtui alerts` run: evaluate, record what is new, notify it, remember what was delivered.

Evaluation reads a snapshot; recording and marking delivery are two short writer sessions,
and the notifications go out between them, so no network call ever holds the cache lock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from costtui.alerts.anomaly import detect_anomalies
from costtui.alerts.freshness import stale_providers
from costtui.alerts.thresholds import evaluate_thresholds
from costtui.cache import CacheReader, open_writer
from costtui.cache.writer import utcnow
from costtui.config.schema import Config
from costtui.model import AlertEvent

if TYPE_CHECKING:
    from costtui.alerts.notify import ChannelResult
    from costtui.cache import CostQueries

# Undelivered events are retried for this long; older ones are history, not news.
RETRY_WINDOW = timedelta(days=2)

Notifier = Callable[..., "list[ChannelResult]"]


@dataclass
class AlertRun:
    findings: list[AlertEvent]  # everything true now
    new: list[AlertEvent]  # first seen by this run
    sent: list[AlertEvent] = field(default_factory=list)  # handed to the channels this run
    channels: list[ChannelResult] = field(default_factory=list)

    @property
    def failed_channels(self) -> list[ChannelResult]:
        return [result for result in self.channels if result.error]


def evaluate(queries: CostQueries, config: Config, today: date) -> list[AlertEvent]:
    """Threshold breaches, then anomalies, on the configured metric (billed or effective),
    then providers whose data cannot be trusted (failing or older than cache.max_age_hours)."""
    metric, gross = config.display.metric, config.display.gross
    return [
        *evaluate_thresholds(queries, config.alerts.thresholds, today, metric, gross),
        *detect_anomalies(queries, config.alerts.anomaly, today, metric, gross),
        *stale_providers(queries, config.cache.max_age_hours * 3600, today),
    ]


def run_alerts(
    cache_path: Path,
    config: Config,
    today: date,
    record: bool = True,
    send: bool = True,
    lock_timeout: float = 600.0,
    notifier: Notifier | None = None,
) -> AlertRun:
    with CacheReader(cache_path).session() as queries:
        findings = evaluate(queries, config, today)
        known = queries.alert_fingerprints()
        pending = queries.pending_alert_events(utcnow() - RETRY_WINDOW) if record and send else []
    run = AlertRun(findings, _unique([event for event in findings if event.fingerprint not in known]))
    if not record:
        return run
    if run.new:
        with open_writer(cache_path, lock_timeout=lock_timeout, today=today) as writer:
            # The writer's answer, not the snapshot's: a run that recorded one of these meanwhile sends it.
            run.new = writer.record_alert_events(run.new)
    to_send = [*pending, *run.new]  # disjoint: pending ones were already recorded
    channels = config.alerts.notifications
    if not send or not to_send or not (channels.email.enabled or channels.webhook.enabled):
        return run  # unsent events stay pending for a channel enabled later (within RETRY_WINDOW)
    if notifier is None:
        from costtui.alerts.notify import notify as notifier
    run.channels = notifier(channels, to_send)
    if run.channels:
        run.sent = to_send
    if run.channels and not run.failed_channels:
        # Only when every channel delivered: a failed one is retried next run (a duplicate on
        # the channel that worked beats an alert nobody received).
        with open_writer(cache_path, lock_timeout=lock_timeout, today=today) as writer:
            writer.mark_alerts_notified([event.fingerprint for event in to_send])
    return run


def _unique(events: Sequence[AlertEvent]) -> list[AlertEvent]:
    return list({event.fingerprint: event for event in events}.values())
