"""Screenshots of the analysis features on frozen demo data (today 2026-11-15, clock 09:30 UTC): what
changed, a day's movers, budget lines and anomaly marks, stacked chart, narrow and too-small terminals,
the demo's findings in the Alerts tab."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tui_helpers import make_app, settle

from costtui.alerts.demo import demo_alert_config
from costtui.alerts.run import evaluate
from costtui.cache import CacheReader, open_writer
from costtui.cache import writer as writer_module
from costtui.config import Config
from costtui.config.schema import AlertsConfig, ThresholdRule
from costtui.model import AlertEvent

BUDGETS = replace(Config(), alerts=AlertsConfig(thresholds=[
    ThresholdRule(name="AWS daily limit", period="day", provider="aws", warning=Decimal("1500"),
                  critical=Decimal("1800")),
    ThresholdRule(name="Monthly budget", period="forecast", warning=Decimal("150000"))]))


@pytest.fixture(scope="module")
def marked_cache(frozen_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The frozen demo data with one anomaly finding (AWS EC2 on 3 Nov) and the demo's threshold
    findings, recorded at a fixed time (the freshness finding depends on the real clock: left out)."""
    path = tmp_path_factory.mktemp("marked") / "cache.duckdb"
    shutil.copyfile(frozen_cache, path)
    today = date(2026, 11, 15)
    with CacheReader(path).session() as queries:
        findings = [f for f in evaluate(queries, demo_alert_config(Config(), path, today), today)
                    if f.kind == "threshold"]
    findings.append(AlertEvent(
        "anomaly", "anomaly", "warning", date(2026, 11, 3), date(2026, 11, 3), Decimal("1203.12"),
        Decimal("950"), "USD", "aws Amazon Elastic Compute Cloud - Compute on 2026-11-03 1203.12 USD, "
        "above its usual 950.00 USD", provider="aws", service="Amazon Elastic Compute Cloud - Compute"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer_module, "utcnow", lambda: datetime(2026, 11, 15, 7, 0))
        with open_writer(path) as writer:
            writer.record_alert_events(findings)
    return path


async def wait(pilot) -> None:
    await settle(pilot.app, pilot)


def pressing(*keys: str):
    async def run(pilot) -> None:
        await settle(pilot.app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot.app, pilot)
    return run


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_what_changed(snap_compare, frozen_cache: Path, today: date, size: tuple[int, int]) -> None:
    """`w`: "What changed by service: 16 Oct - 14 Nov 2026 vs 16 Sep - 15 Oct", the biggest rises (EC2
    Compute first, +549.22 USD, in red) and the biggest falls (Savings Plans first, -894.90 USD, in
    green), each with cost, the change in money, and (when there is room) share and change in %."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=size, run_before=pressing("w"))


def test_a_days_movers(snap_compare, frozen_cache: Path, today: date) -> None:
    """`c`, ← twice, Enter: "What changed by service: 12 Nov 2026 vs 11 Nov", the day's rises and falls."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(120, 40),
                        run_before=pressing("c", "left", "left", "enter"))


def test_day_cursor_on_the_trends_chart(snap_compare, frozen_cache: Path, today: date) -> None:
    """`c` then ← twice: a white vertical line on 12 Nov, the chart title ends "· 12 Nov: <total> USD ·
    Enter: what changed"."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(120, 40),
                        run_before=pressing("c", "left", "left"))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_budgets_and_anomalies_on_a_stacked_chart(snap_compare, marked_cache: Path, today: date,
                                                  size: tuple[int, int]) -> None:
    """`x`: the Trends chart stacked (AWS, + Azure, + GCP; title says "stacked"), the AWS daily limit's
    yellow (1,500) and red (1,800) lines named at their right end, a red ◆ "anomaly" point on the AWS
    line on 3 Nov; the Alerts tab label counts the findings."""
    app = make_app(marked_cache, today, config=BUDGETS)
    assert snap_compare(app, terminal_size=size, run_before=pressing("x"))


def test_log_scale(snap_compare, marked_cache: Path, today: date) -> None:
    """`l`: the split chart on a log scale (ticks 1-2-5 steps: 1,000, 2,000, 5,000 ...), title says "log scale"."""
    app = make_app(marked_cache, today, config=BUDGETS)
    assert snap_compare(app, terminal_size=(120, 40), run_before=pressing("l"))


def test_demo_findings_in_the_alerts_tab(snap_compare, marked_cache: Path, today: date) -> None:
    """Alerts tab (5) on the demo data: the demo monthly budget warning, the AWS daily limit critical (red)
    and the anomaly (all recorded 2026-11-15 07:00), with severity colours; the tab label says "Alerts (3)"."""
    assert snap_compare(make_app(marked_cache, today), terminal_size=(120, 40), run_before=pressing("5"))


def test_accounts_at_60x18(snap_compare, frozen_cache: Path, today: date) -> None:
    """The smallest size laid out: Accounts keep Cost and "vs before" whole, Share and the sparkline
    are left out, account ids and names cut with "…"."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(60, 18), run_before=pressing("3"))


def test_too_small_terminal(snap_compare, frozen_cache: Path, today: date) -> None:
    """At 50x15 the dashboard gives way to one centred message: "The terminal is 50x15; costtui needs at
    least 60x18." and how to fix it."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(50, 15), run_before=wait)


def test_what_changed_by_day_at_80x24(snap_compare, frozen_cache: Path, today: date) -> None:
    """`w` then `b` three times: the days of the range that rose most against the day before (1 Nov
    first, +4,108.86 USD, the monthly tax and Savings Plans day) and fell most (2 Nov first)."""
    assert snap_compare(make_app(frozen_cache, today), terminal_size=(80, 24), run_before=pressing("w", "b", "b", "b"))
