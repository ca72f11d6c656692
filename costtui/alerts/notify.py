"""Notification channels: new alert events sent by email (SMTP) and to a chat webhook (JSON POST).

Every failure becomes a one-line `NotificationError` naming the channel and the reason; it never
carries a secret (the SMTP password, or the webhook URL's path and query, which embed tokens)."""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

import httpx

from costtui.config.schema import EmailConfig, NotificationsConfig, WebhookConfig
from costtui.exactjson import encode_json
from costtui.model import AlertEvent, CostError, to_cents

SMTP_TIMEOUT_SECONDS = 15.0
SMTPS_PORT = 465  # SMTP over implicit TLS ("submissions"): TLS from the first byte, no STARTTLS
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF_SECONDS = 0.5  # doubled after each failed attempt
MAX_RETRY_AFTER_SECONDS = 10.0

SEVERITY_RANK = {"critical": 0, "warning": 1}


class NotificationError(CostError):
    """A channel failed; one line naming the channel and the reason, never a secret."""


class PartialDelivery(NotificationError):
    """Delivered, but some recipients were refused: worth saying, not worth sending again
    (the others would get every finding again on each run)."""


@dataclass(frozen=True)
class ChannelResult:
    channel: str  # "email" or "webhook"
    error: str | None = None  # None = delivered
    warning: str | None = None  # delivered, with a problem the user should fix


def notify(
    config: NotificationsConfig, events: Sequence[AlertEvent], env: Mapping[str, str] = os.environ
) -> list[ChannelResult]:
    """Send `events` on every enabled channel; one ChannelResult per enabled channel; never raises for a
    channel failure (the caller retries undelivered events next run). No events or no enabled channel -> []."""
    if not events:
        return []
    results = []
    if config.email.enabled:
        results.append(_deliver("email", lambda: send_email(config.email, events, env)))
    if config.webhook.enabled:
        results.append(_deliver("webhook", lambda: send_webhook(config.webhook, events, env)))
    return results


def _deliver(channel: str, send: Callable[[], None]) -> ChannelResult:
    try:
        send()
    except PartialDelivery as exc:
        return ChannelResult(channel, warning=str(exc))
    except NotificationError as exc:
        return ChannelResult(channel, str(exc))
    return ChannelResult(channel)


# --- rendering ---------------------------------------------------------------------------------


def by_severity(events: Iterable[AlertEvent]) -> list[AlertEvent]:
    """Critical first, then the rest, each group in the order given."""
    return sorted(events, key=lambda event: SEVERITY_RANK.get(event.severity, len(SEVERITY_RANK)))


def render_subject(events: Sequence[AlertEvent]) -> str:
    """E.g. "[costtui] 3 alerts: 1 critical, 2 warning"."""
    counts: dict[str, int] = {}
    for event in by_severity(events):
        counts[event.severity] = counts.get(event.severity, 0) + 1
    noun = "alert" if len(events) == 1 else "alerts"
    detail = ", ".join(f"{count} {severity}" for severity, count in counts.items())
    return f"[costtui] {len(events)} {noun}: {detail}" if detail else f"[costtui] {len(events)} {noun}"


def render_text(events: Sequence[AlertEvent]) -> str:
    """One line per event, critical first, e.g.
    "CRITICAL  aws-month | aws / 111 / EC2 | 2026-11-01 to 2026-11-14 | 1504.00 USD (threshold 1000.00 USD) | ..."."""
    return "\n".join(_event_line(event) for event in by_severity(events))


def _event_line(event: AlertEvent) -> str:
    limit = "threshold" if event.kind == "threshold" else "expected at most"
    parts = [
        f"{event.severity.upper():<8}  {event.rule}",
        " / ".join(p for p in (event.provider, event.account_id, event.service) if p) or "all providers",
        _period(event.period_start, event.period_end),
    ]
    if event.kind != "stale":  # a stale provider's numbers are hours, told by its message
        parts.append(f"{_money(event.observed, event.currency)} ({limit} {_money(event.threshold, event.currency)})")
    if event.message:
        parts.append(" ".join(event.message.split()))
    return " | ".join(parts)


def _period(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def _money(amount: Decimal, currency: str) -> str:
    return f"{to_cents(amount):f} {currency}"


# --- email -------------------------------------------------------------------------------------


def send_email(
    config: EmailConfig, events: Sequence[AlertEvent], env: Mapping[str, str] = os.environ
) -> None:
    """Send one message to all recipients. Port 465 speaks TLS from the start; otherwise `starttls`
    upgrades the connection before login. Raises NotificationError."""
    if not events:
        return
    if not config.recipients:
        raise NotificationError("alerts.notifications.email.recipients: no recipients configured")
    password = _smtp_password(config, env)
    where = f"{config.smtp_host}:{config.smtp_port}"
    try:
        refused = _smtp_send(config, password, build_email(config, events))
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        reason = _one_line(_smtp_reason(exc), secrets=[password] if password else [])
        raise NotificationError(f"email via {where} failed: {reason}") from None
    if refused:
        reason = _smtp_reason(smtplib.SMTPRecipientsRefused(refused))
        raise PartialDelivery(f"email via {where} delivered, but {reason}")


def build_email(config: EmailConfig, events: Sequence[AlertEvent]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = render_subject(events)
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = formatdate(localtime=True)
    # The sender's domain, not socket.getfqdn(): that can stall for seconds on a host without reverse DNS.
    message["Message-ID"] = make_msgid("costtui", domain=config.sender.rpartition("@")[2] or "localhost")
    message.set_content(render_text(events) + "\n", charset="utf-8")
    return message


def _smtp_password(config: EmailConfig, env: Mapping[str, str]) -> str | None:
    if not config.username:
        return None
    if not config.password_env:
        raise NotificationError("alerts.notifications.email.password_env: not set, but username is")
    password = env.get(config.password_env)
    if not password:
        raise NotificationError(
            f"alerts.notifications.email.password_env: environment variable {config.password_env} is not set"
        )
    return password


def _smtp_send(config: EmailConfig, password: str | None, message: EmailMessage) -> dict:
    """Send; the recipients the server refused while accepting others (all refused raises)."""
    context = ssl.create_default_context()
    if config.smtp_port == SMTPS_PORT:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
    with smtp:
        if config.starttls and config.smtp_port != SMTPS_PORT:
            smtp.starttls(context=context)
        if config.username and password:
            smtp.login(config.username, password)
        return smtp.send_message(message, from_addr=config.sender, to_addrs=list(config.recipients))


def _smtp_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{rcpt} ({_smtp_reply(code, text)})" for rcpt, (code, text) in exc.recipients.items()
        )
        return f"recipient refused: {refused}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"authentication failed ({_smtp_reply(exc.smtp_code, exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused ({_smtp_reply(exc.smtp_code, exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"server answered {_smtp_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a read that timed out as a disconnection.
        return (
            _smtp_reason(exc.__context__)
            if isinstance(exc.__context__, OSError)
            else "server closed the connection"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return str(exc).rstrip(".")  # e.g. "STARTTLS extension not supported by server"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return f"timed out after {SMTP_TIMEOUT_SECONDS:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host ({exc.strerror})"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc) or type(exc).__name__


def _smtp_reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


# --- webhook -----------------------------------------------------------------------------------


def send_webhook(
    config: WebhookConfig, events: Sequence[AlertEvent], env: Mapping[str, str] = os.environ
) -> None:
    """POST a Slack/Mattermost/Teams-compatible `text` plus the structured `events` as JSON.
    Connection failures, 429 and 5xx are retried; other answers fail at once. Raises NotificationError."""
    if not events:
        return
    url, key = _webhook_url(config, env)
    origin = _origin(url, key)
    secrets = _url_secrets(url)
    body = encode_json(webhook_payload(events)).encode("utf-8")
    wait = WEBHOOK_BACKOFF_SECONDS
    reason = ""
    with httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS) as client:
        for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
            try:
                response = client.post(url, content=body, headers={"Content-Type": "application/json"})
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing reached the server, so trying again cannot post the alerts twice.
                detail = re.sub(r"^\[Errno -?\d+\]\s*", "", _one_line(str(exc), secrets))
                reason = f"cannot connect ({detail or type(exc).__name__})"
                retry_after = 0.0
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                reason = _one_line(str(exc), secrets) or type(exc).__name__
                raise NotificationError(f"webhook to {origin} failed: {reason}") from None
            else:
                if response.is_success:
                    return
                reason = _http_reason(response, secrets)
                if response.status_code != 429 and response.status_code < 500:
                    raise NotificationError(f"webhook to {origin} failed: {reason}")
                retry_after = _retry_after(response)
            if attempt < WEBHOOK_ATTEMPTS:
                time.sleep(max(wait, retry_after))
                wait *= 2
    raise NotificationError(f"webhook to {origin} failed after {WEBHOOK_ATTEMPTS} attempts: {reason}")


def webhook_payload(events: Sequence[AlertEvent]) -> dict[str, Any]:
    ordered = by_severity(events)
    return {
        "text": f"{render_subject(ordered)}\n{render_text(ordered)}",
        "events": [
            {
                "rule": e.rule,
                "kind": e.kind,
                "severity": e.severity,
                "provider": e.provider,
                "account_id": e.account_id,
                "service": e.service,
                "period_start": e.period_start,
                "period_end": e.period_end,
                "observed": to_cents(e.observed),
                "threshold": to_cents(e.threshold),
                "currency": e.currency,
                "message": e.message,
                "fingerprint": e.fingerprint,
            }
            for e in ordered
        ],
    }


def _webhook_url(config: WebhookConfig, env: Mapping[str, str]) -> tuple[str, str]:
    """The URL and the config key it came from."""
    if config.url:
        return config.url, "alerts.notifications.webhook.url"
    if config.url_env:
        url = env.get(config.url_env, "").strip()
        if not url:
            raise NotificationError(
                f"alerts.notifications.webhook.url_env: environment variable {config.url_env} is not set"
            )
        return url, "alerts.notifications.webhook.url_env"
    raise NotificationError("alerts.notifications.webhook: set url or url_env")


def _origin(url: str, key: str) -> str:
    """scheme://host[:port] of the URL: all of it an error message may show."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotificationError(f"{key}: not an http:// or https:// URL")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _url_secrets(url: str) -> list[str]:
    """What an error message must not show: the URL, its path and query (and each long path segment,
    e.g. a token), and any password in it. Longest first, so a part never leaves half a secret."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if len(segment) >= 8]
    candidates = {url, parts.path.lstrip("/"), parts.query, parts.password or "", *segments}
    return sorted((s for s in candidates if len(s) > 1), key=len, reverse=True)


def _http_reason(response: httpx.Response, secrets: list[str]) -> str:
    # Chat services explain a refusal in a short plain body ("invalid_token", "no_service"); show
    # that, but not an HTML error page.
    detail = response.text.strip() if "html" not in response.headers.get("content-type", "") else ""
    detail = _one_line(detail, secrets)
    reason = f"HTTP {response.status_code}"
    return f"{reason} ({detail})" if detail and len(detail) <= 200 else reason


def _retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _one_line(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return " ".join(text.split())
