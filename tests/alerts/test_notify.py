"""Alert notifications over real local servers: email through aiosmtpd (plain, AUTH, STARTTLS) and
a webhook through http.server, both on 127.0.0.1. Failures come back as one line per channel
that names the channel and never a secret."""

from __future__ import annotations

import email
import email.policy
import json
import time
from datetime import date
from decimal import Decimal

import pytest

from costtui.alerts import notify as notify_module
from costtui.alerts.notify import (
    ChannelResult,
    NotificationError,
    PartialDelivery,
    notify,
    render_subject,
    render_text,
    send_email,
    send_webhook,
)
from costtui.config.schema import EmailConfig, NotificationsConfig, WebhookConfig
from costtui.model import AlertEvent, CostError
from tests.alerts.conftest import SMTP_PASSWORD, SMTP_USER
from tests.emulators import free_port

AWS_WARNING = AlertEvent(
    rule="aws-month",
    kind="threshold",
    severity="warning",
    period_start=date(2026, 11, 1),
    period_end=date(2026, 11, 14),
    observed=Decimal("1504.005"),
    threshold=Decimal("1000"),
    currency="USD",
    message="aws month to date 1504.01 USD above warning 1000.00 USD",
    provider="aws",
    account_id="111",
    service="EC2",
)
TOTAL_CRITICAL = AlertEvent(
    rule="total-month",
    kind="threshold",
    severity="critical",
    period_start=date(2026, 11, 1),
    period_end=date(2026, 11, 14),
    observed=Decimal("30000.5"),
    threshold=Decimal("25000"),
    currency="USD",
    message="month to date 30000.50 USD above critical 25000.00 USD",
)
AZURE_ANOMALY = AlertEvent(
    rule="anomaly",
    kind="anomaly",
    severity="warning",
    period_start=date(2026, 11, 14),
    period_end=date(2026, 11, 14),
    observed=Decimal("412.4"),
    threshold=Decimal("180.1249"),
    currency="EUR",
    message="unusual day",
    provider="azure",
    account_id="sub-1",
    service="Künstliche Intelligenz (Größe)",
)
EVENTS = [AWS_WARNING, TOTAL_CRITICAL, AZURE_ANOMALY]

EXPECTED_LINES = [
    "CRITICAL  total-month | all providers | 2026-11-01 to 2026-11-14 | 30000.50 USD (threshold 25000.00 USD)"
    " | month to date 30000.50 USD above critical 25000.00 USD",
    "WARNING   aws-month | aws / 111 / EC2 | 2026-11-01 to 2026-11-14 | 1504.01 USD (threshold 1000.00 USD)"
    " | aws month to date 1504.01 USD above warning 1000.00 USD",
    "WARNING   anomaly | azure / sub-1 / Künstliche Intelligenz (Größe) | 2026-11-14 | 412.40 EUR"
    " (expected at most 180.12 EUR) | unusual day",
]
SUBJECT = "[costtui] 3 alerts: 1 critical, 2 warning"


def email_config(port: int, **overrides) -> EmailConfig:
    settings = {
        "enabled": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "sender": "costtui@example.com",
        "recipients": ["ops@example.com", "finops@example.com"],
    }
    return EmailConfig(**{**settings, **overrides})


def auth_config(port: int, **overrides) -> EmailConfig:
    return email_config(port, username=SMTP_USER, password_env="SMTP_PASSWORD", **overrides)


def assert_one_line_without(message: str, *secrets: str) -> None:
    assert "\n" not in message
    for secret in secrets:
        assert secret not in message


# --- rendering ---------------------------------------------------------------------------------


def test_subject_counts_alerts_by_severity_critical_first():
    assert render_subject(EVENTS) == SUBJECT
    assert render_subject([AWS_WARNING]) == "[costtui] 1 alert: 1 warning"
    assert render_subject([TOTAL_CRITICAL, TOTAL_CRITICAL]) == "[costtui] 2 alerts: 2 critical"


def test_text_has_one_line_per_event_critical_first_with_amounts_to_the_cent():
    assert render_text(EVENTS).splitlines() == EXPECTED_LINES


# --- email -------------------------------------------------------------------------------------


def test_email_reaches_every_recipient_with_subject_and_body_critical_first(smtp_server):
    send_email(email_config(smtp_server.port), EVENTS, env={})

    [envelope] = smtp_server.mailbox.messages
    assert envelope.mail_from == "costtui@example.com"
    assert envelope.rcpt_tos == ["ops@example.com", "finops@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == SUBJECT
    assert message["From"] == "costtui@example.com"
    assert message["To"] == "ops@example.com, finops@example.com"
    assert message["Date"] and message["Message-ID"].endswith("@example.com>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().splitlines() == EXPECTED_LINES


def test_email_logs_in_with_the_password_from_the_named_environment_variable(smtp_auth_server):
    send_email(auth_config(smtp_auth_server.port), EVENTS, env={"SMTP_PASSWORD": SMTP_PASSWORD})

    assert smtp_auth_server.mailbox.logins == [SMTP_USER]
    assert len(smtp_auth_server.mailbox.messages) == 1


def test_email_with_a_wrong_password_fails_without_showing_it(smtp_auth_server):
    wrong = "wr0ng-but-still-SECRET"
    with pytest.raises(NotificationError) as failure:
        send_email(auth_config(smtp_auth_server.port), EVENTS, env={"SMTP_PASSWORD": wrong})

    message = str(failure.value)
    assert message.startswith(
        f"email via 127.0.0.1:{smtp_auth_server.port} failed: authentication failed (535"
    )
    assert_one_line_without(message, wrong, SMTP_PASSWORD)
    assert isinstance(failure.value, CostError)
    assert smtp_auth_server.mailbox.messages == []


def test_email_with_username_but_no_password_variable_names_the_key_and_sends_nothing(smtp_auth_server):
    with pytest.raises(NotificationError) as failure:
        send_email(auth_config(smtp_auth_server.port), EVENTS, env={"SMTP_PASSWORD": ""})

    assert str(failure.value) == (
        "alerts.notifications.email.password_env: environment variable SMTP_PASSWORD is not set"
    )
    assert smtp_auth_server.mailbox.connections == 0


def test_email_without_recipients_is_an_error(smtp_server):
    with pytest.raises(NotificationError, match=r"^alerts\.notifications\.email\.recipients: "):
        send_email(email_config(smtp_server.port, recipients=[]), EVENTS, env={})
    assert smtp_server.mailbox.connections == 0


def test_email_over_starttls_logs_in_on_a_server_that_requires_tls(smtp_starttls_server, tls, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))  # trust the test CA, as with a company CA

    send_email(
        auth_config(smtp_starttls_server.port, starttls=True), EVENTS, env={"SMTP_PASSWORD": SMTP_PASSWORD}
    )

    assert smtp_starttls_server.mailbox.logins == [SMTP_USER]
    [envelope] = smtp_starttls_server.mailbox.messages
    assert envelope.rcpt_tos == ["ops@example.com", "finops@example.com"]


def test_email_on_the_smtps_port_speaks_tls_from_the_start(smtps_server, tls, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    monkeypatch.setattr(notify_module, "SMTPS_PORT", smtps_server.port)  # 465 itself may be taken

    send_email(auth_config(smtps_server.port), EVENTS, env={"SMTP_PASSWORD": SMTP_PASSWORD})

    assert smtps_server.mailbox.logins == [SMTP_USER]
    assert len(smtps_server.mailbox.messages) == 1


def test_email_over_starttls_refuses_an_untrusted_certificate(smtp_starttls_server):
    with pytest.raises(NotificationError) as failure:
        send_email(
            auth_config(smtp_starttls_server.port, starttls=True),
            EVENTS,
            env={"SMTP_PASSWORD": SMTP_PASSWORD},
        )

    message = str(failure.value)
    assert message.startswith(
        f"email via 127.0.0.1:{smtp_starttls_server.port} failed: TLS certificate not trusted"
    )
    assert_one_line_without(message, SMTP_PASSWORD)
    assert smtp_starttls_server.mailbox.logins == []


def test_email_without_starttls_to_a_server_requiring_it_fails_before_sending(smtp_starttls_server):
    with pytest.raises(NotificationError) as failure:
        send_email(email_config(smtp_starttls_server.port), EVENTS, env={})

    assert str(failure.value).startswith(f"email via 127.0.0.1:{smtp_starttls_server.port} failed: ")
    assert "530" in str(failure.value)
    assert smtp_starttls_server.mailbox.messages == []


def test_email_with_starttls_to_a_server_without_it_fails_rather_than_sending_in_clear(smtp_server):
    with pytest.raises(NotificationError) as failure:
        send_email(email_config(smtp_server.port, starttls=True), EVENTS, env={})

    assert str(failure.value) == (
        f"email via 127.0.0.1:{smtp_server.port} failed: STARTTLS extension not supported by server"
    )
    assert smtp_server.mailbox.messages == []


def test_email_to_a_closed_port_says_connection_refused():
    port = free_port()
    with pytest.raises(NotificationError) as failure:
        send_email(email_config(port), EVENTS, env={})

    assert str(failure.value) == f"email via 127.0.0.1:{port} failed: connection refused"


def test_email_to_a_server_that_never_answers_times_out(silent_server, monkeypatch):
    monkeypatch.setattr(notify_module, "SMTP_TIMEOUT_SECONDS", 0.5)
    started = time.monotonic()
    with pytest.raises(NotificationError) as failure:
        send_email(email_config(silent_server), EVENTS, env={})

    assert str(failure.value) == f"email via 127.0.0.1:{silent_server} failed: timed out after 0.5 s"
    assert time.monotonic() - started < 5


def test_email_names_a_refused_recipient_but_counts_as_delivered(smtp_server):
    smtp_server.mailbox.refuse = {"finops@example.com"}
    with pytest.raises(PartialDelivery) as partial:
        send_email(email_config(smtp_server.port), EVENTS, env={})

    assert str(partial.value) == (
        f"email via 127.0.0.1:{smtp_server.port} delivered, but "
        "recipient refused: finops@example.com (550 5.1.1 no such user here)"
    )
    (message,) = smtp_server.mailbox.messages
    assert message.rcpt_tos == ["ops@example.com"]
    # notify() reports it as a warning, not a failure: the finding is not sent again.
    (result,) = notify(NotificationsConfig(email=email_config(smtp_server.port)), EVENTS, env={})
    assert result.error is None and "finops@example.com" in result.warning


def test_email_when_every_recipient_is_refused(smtp_server):
    smtp_server.mailbox.refuse = {"ops@example.com", "finops@example.com"}
    with pytest.raises(
        NotificationError, match=r"recipient refused: ops@example\.com .*; finops@example\.com"
    ):
        send_email(email_config(smtp_server.port), EVENTS, env={})
    assert smtp_server.mailbox.messages == []


# --- webhook -----------------------------------------------------------------------------------


def test_webhook_posts_chat_text_and_exact_structured_events(hook):
    send_webhook(WebhookConfig(enabled=True, url=hook.url()), EVENTS, env={})

    [(path, headers, raw)] = hook.requests
    assert path == "/hooks/T000/B000/tok3n-SECRET"
    assert headers["Content-Type"] == "application/json"
    body = json.loads(raw, parse_float=Decimal)
    assert body["text"] == "\n".join([SUBJECT, *EXPECTED_LINES])
    assert [e["rule"] for e in body["events"]] == ["total-month", "aws-month", "anomaly"]
    assert body["events"][1] == {
        "rule": "aws-month",
        "kind": "threshold",
        "severity": "warning",
        "provider": "aws",
        "account_id": "111",
        "service": "EC2",
        "period_start": "2026-11-01",
        "period_end": "2026-11-14",
        "observed": Decimal("1504.01"),
        "threshold": Decimal("1000.00"),
        "currency": "USD",
        "message": "aws month to date 1504.01 USD above warning 1000.00 USD",
        "fingerprint": AWS_WARNING.fingerprint,
    }
    assert body["events"][0]["provider"] is None
    assert body["events"][2]["service"] == "Künstliche Intelligenz (Größe)"
    assert body["events"][2]["threshold"] == Decimal("180.12")
    assert b"30000.50" in raw  # written from the Decimal, not through a float


def test_webhook_url_from_the_named_environment_variable(hook):
    send_webhook(
        WebhookConfig(enabled=True, url_env="COSTTUI_WEBHOOK"), EVENTS, env={"COSTTUI_WEBHOOK": hook.url()}
    )
    assert len(hook.requests) == 1


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (WebhookConfig(enabled=True), "alerts.notifications.webhook: set url or url_env"),
        (
            WebhookConfig(enabled=True, url_env="NOT_SET"),
            "alerts.notifications.webhook.url_env: environment variable NOT_SET is not set",
        ),
        (
            WebhookConfig(enabled=True, url="hooks.example.com/tok3n-SECRET"),
            "alerts.notifications.webhook.url: not an http:// or https:// URL",
        ),
    ],
)
def test_webhook_without_a_usable_url_names_the_config_key(config, error):
    with pytest.raises(NotificationError) as failure:
        send_webhook(config, EVENTS, env={})
    assert str(failure.value) == error


def test_webhook_retries_a_server_error_and_delivers_once(hook):
    hook.statuses = [500]
    send_webhook(WebhookConfig(enabled=True, url=hook.url()), EVENTS, env={})

    assert len(hook.requests) == 2
    assert hook.bodies()[0] == hook.bodies()[1]


def test_webhook_retries_when_rate_limited(hook):
    hook.statuses = [429, 429]
    send_webhook(WebhookConfig(enabled=True, url=hook.url()), EVENTS, env={})
    assert len(hook.requests) == 3


def test_webhook_gives_up_after_three_server_errors(hook):
    hook.statuses = [503, 503, 503, 503]
    with pytest.raises(NotificationError) as failure:
        send_webhook(WebhookConfig(enabled=True, url=hook.url()), EVENTS, env={})

    assert str(failure.value) == (
        f"webhook to http://127.0.0.1:{hook.port} failed after 3 attempts: HTTP 503 (try again later)"
    )
    assert len(hook.requests) == 3


def test_webhook_client_error_fails_at_once_without_the_url_token(hook):
    hook.statuses = [404]
    with pytest.raises(NotificationError) as failure:
        send_webhook(WebhookConfig(enabled=True, url=hook.url()), EVENTS, env={})

    assert str(failure.value) == f"webhook to http://127.0.0.1:{hook.port} failed: HTTP 404 (no_service)"
    assert len(hook.requests) == 1


def test_webhook_to_a_closed_port_retries_then_fails_without_the_url_token():
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/tok3n-SECRET?key=q-SECRET"
    with pytest.raises(NotificationError) as failure:
        send_webhook(WebhookConfig(enabled=True, url=url), EVENTS, env={})

    message = str(failure.value)
    assert message.startswith(f"webhook to http://127.0.0.1:{port} failed after 3 attempts: cannot connect")
    assert "refused" in message.lower()
    assert_one_line_without(message, "tok3n", "SECRET", "hooks", "key=")


# --- notify: every enabled channel, one result each ----------------------------------------------


def test_notify_with_no_channel_enabled_returns_nothing(hook, smtp_server):
    config = NotificationsConfig(
        email=email_config(smtp_server.port, enabled=False),
        webhook=WebhookConfig(enabled=False, url=hook.url()),
    )
    assert notify(config, EVENTS, env={}) == []
    assert hook.requests == []
    assert smtp_server.mailbox.connections == 0


def test_notify_with_no_events_contacts_nobody(hook, smtp_server):
    config = NotificationsConfig(
        email=email_config(smtp_server.port), webhook=WebhookConfig(enabled=True, url=hook.url())
    )
    assert notify(config, [], env={}) == []
    assert hook.requests == []
    assert smtp_server.mailbox.connections == 0


def test_notify_delivers_on_every_enabled_channel(hook, smtp_server):
    config = NotificationsConfig(
        email=email_config(smtp_server.port), webhook=WebhookConfig(enabled=True, url=hook.url())
    )

    assert notify(config, EVENTS, env={}) == [ChannelResult("email"), ChannelResult("webhook")]
    assert len(smtp_server.mailbox.messages) == 1
    assert len(hook.requests) == 1


def test_notify_reports_a_failed_channel_and_still_tries_the_others(hook, smtp_auth_server):
    config = NotificationsConfig(
        email=auth_config(smtp_auth_server.port),
        webhook=WebhookConfig(enabled=True, url_env="HOOK_URL"),
    )
    hook.statuses = [403]
    results = notify(config, EVENTS, env={"SMTP_PASSWORD": "wr0ng-SECRET", "HOOK_URL": hook.url()})

    assert [r.channel for r in results] == ["email", "webhook"]
    assert results[0].error.startswith("email via 127.0.0.1:")
    assert results[1].error.startswith(f"webhook to http://127.0.0.1:{hook.port} failed: HTTP 403")
    for result in results:
        assert_one_line_without(result.error, "wr0ng-SECRET", "tok3n", "hooks/")


def test_notify_contacts_only_the_enabled_channel(hook, smtp_server):
    config = NotificationsConfig(
        email=email_config(smtp_server.port), webhook=WebhookConfig(enabled=False, url=hook.url())
    )

    assert notify(config, EVENTS, env={}) == [ChannelResult("email")]
    assert hook.requests == []
