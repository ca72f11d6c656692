"""`costtui alerts` as cron runs it: a real process, a real webhook receiver and SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.cache import CacheReader
from tests.alerts.conftest import Hook, SmtpServer
from tests.cachefactory import row, write_rows
from tests.emulators import free_port

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 15)
RULES = """
demo_today = 2026-11-15

[[alerts.thresholds]]
name = "aws-month"
provider = "aws"
warning = 1000
critical = 1500

[[alerts.thresholds]]
name = "daily"
period = "day"
warning = 10000
"""


@pytest.fixture
def cache(cache_path: Path) -> Path:
    # aws 111 EC2 USD 100.00 a day, 1-14 Nov: month to date 1400.00 (warning), latest day 100.00 (fine)
    write_rows(cache_path, [row(date(2026, 11, 1) + timedelta(days=n), cost="100.00") for n in range(14)])
    return cache_path


def alerts(config: Path, cache: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "costtui", "--config", str(config), "--cache", str(cache), "alerts", *args],
        capture_output=True, text=True, timeout=120, cwd=REPO, env={**os.environ, **(env or {})},
    )


def write_config(tmp_path: Path, channels: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(RULES + channels)
    return path


def test_cron_runs_send_each_finding_once_by_webhook(tmp_path, cache, hook: Hook):
    config = write_config(tmp_path, '[alerts.notifications.webhook]\nenabled = true\nurl_env = "HOOK_URL"\n')
    env = {"HOOK_URL": hook.url()}

    first = alerts(config, cache, "--format", "json", env=env)
    second = alerts(config, cache, env=env)

    assert first.returncode == 0, first.stderr
    (finding,) = json.loads(first.stdout, parse_float=Decimal)
    assert (finding["new"], finding["severity"], finding["observed"]) == (True, "warning", Decimal("1400.00"))
    assert "1 finding, 1 new; 1 sent by webhook" in first.stderr
    (payload,) = hook.bodies()
    assert [e["rule"] for e in payload["events"]] == ["aws-month"]
    assert "1400.00 USD" in payload["text"]
    assert second.returncode == 0 and "1 finding, 0 new" in second.stderr
    assert "aws-month" in second.stdout and "NEW" not in second.stdout
    assert len(hook.requests) == 1  # not sent again
    with CacheReader(cache).session() as queries:
        (event,) = queries.alert_events()
    assert event["notified_at"] is not None and event["observed"] == Decimal("1400.00")


def test_a_failing_channel_exits_1_with_one_line_and_retries_next_run(tmp_path, cache, hook: Hook):
    closed = f"http://127.0.0.1:{free_port()}/hooks/T1/B1/s3cret-path"
    config = write_config(tmp_path, '[alerts.notifications.webhook]\nenabled = true\nurl_env = "HOOK_URL"\n')

    failed = alerts(config, cache, env={"HOOK_URL": closed})

    assert failed.returncode == 1
    error_lines = [line for line in failed.stderr.splitlines() if "failed" in line]
    assert len(error_lines) == 1 and "webhook to http://127.0.0.1" in error_lines[0]
    assert "s3cret-path" not in failed.stderr and "Traceback" not in failed.stderr
    retried = alerts(config, cache, env={"HOOK_URL": hook.url()})
    assert retried.returncode == 0
    assert [e["rule"] for e in hook.bodies()[0]["events"]] == ["aws-month"]  # what it missed


def test_email_arrives_with_the_finding(tmp_path, cache, smtp_server: SmtpServer):
    config = write_config(
        tmp_path,
        "[alerts.notifications.email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\n"
        f"smtp_port = {smtp_server.port}\nsender = \"costtui@example.com\"\nrecipients = [\"finops@example.com\"]\n",
    )
    result = alerts(config, cache)
    assert result.returncode == 0, result.stderr
    (message,) = smtp_server.mailbox.messages
    assert message.rcpt_tos == ["finops@example.com"]
    text = message.content.decode()
    assert "Subject: [costtui] 1 alert: 1 warning" in text
    assert "aws-month" in text and "1400.00 USD" in text


def test_dry_run_changes_nothing(tmp_path, cache, hook: Hook):
    config = write_config(tmp_path, '[alerts.notifications.webhook]\nenabled = true\nurl_env = "HOOK_URL"\n')
    before = cache.stat().st_mtime_ns
    result = alerts(config, cache, "--dry-run", env={"HOOK_URL": hook.url()})
    assert result.returncode == 0 and "NEW" in result.stdout and "dry run" in result.stderr
    assert hook.requests == [] and cache.stat().st_mtime_ns == before


def test_without_a_channel_it_says_so(tmp_path, cache):
    result = alerts(write_config(tmp_path, ""), cache)
    assert result.returncode == 0
    assert "nothing sent: no notification channel is enabled" in result.stderr


def test_an_unset_url_variable_names_the_config_key(tmp_path, cache):
    config = write_config(tmp_path, '[alerts.notifications.webhook]\nenabled = true\nurl_env = "NOT_SET_ANYWHERE"\n')
    result = alerts(config, cache, env={})
    assert result.returncode == 1
    assert "url_env" in result.stderr and "NOT_SET_ANYWHERE" in result.stderr


def test_a_refused_recipient_is_reported_once_and_not_resent(tmp_path, cache, smtp_server: SmtpServer):
    smtp_server.mailbox.refuse = {"gone@example.com"}
    config = write_config(
        tmp_path,
        "[alerts.notifications.email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\n"
        f"smtp_port = {smtp_server.port}\nrecipients = [\"finops@example.com\", \"gone@example.com\"]\n",
    )
    first = alerts(config, cache)
    second = alerts(config, cache)
    assert first.returncode == 1 and "recipient refused: gone@example.com" in first.stderr
    assert second.returncode == 0
    assert [m.rcpt_tos for m in smtp_server.mailbox.messages] == [["finops@example.com"]]


FOCUS_HEADER = (
    "BillingAccountId,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,"
    "ChargePeriodEnd,ProviderName,ServiceName,SubAccountId,SubAccountName,RegionId"
)


def test_refresh_with_alerts_sends_what_the_new_data_crosses(tmp_path, cache_path, hook: Hook):
    # One cron line: refresh from a FOCUS folder, then alerts on what was just published.
    focus = tmp_path / "focus.csv"
    focus.write_text("\n".join([FOCUS_HEADER, *(
        f"111,USD,150.00,150.00,Usage,2026-11-{day:02d},2026-11-{day + 1:02d},AWS,Amazon EC2,222,prod,us-east-1"
        for day in range(1, 15)
    )]) + "\n")
    config = write_config(
        tmp_path,
        f'[providers.focus]\nenabled = true\npaths = ["{focus}"]\n'
        '[alerts.notifications.webhook]\nenabled = true\nurl_env = "HOOK_URL"\n',
    )
    result = subprocess.run(
        [sys.executable, "-m", "costtui", "--config", str(config), "--cache", str(cache_path), "refresh", "--alerts"],
        capture_output=True, text=True, timeout=120, cwd=REPO, env={**os.environ, "HOOK_URL": hook.url()},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # refresh keeps stdout for data; the summary is on stderr
    assert "alerts: 1 finding, 1 new; 1 sent by webhook" in result.stderr
    (payload,) = hook.bodies()
    # 14 x 150.00 = 2100.00 month to date: above critical 1500
    assert [(e["rule"], e["severity"], e["observed"]) for e in payload["events"]] == [
        ("aws-month", "critical", Decimal("2100.00"))
    ]
