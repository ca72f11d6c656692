"""`costtui alerts`: evaluate threshold rules and anomalies, record new findings, notify them."""

from __future__ import annotations

import sys

import click

from costtui.commands.context import AppContext, pass_app

COLUMNS = ("new", "severity", "kind", "rule", "provider", "account_id", "service", "period_start", "observed",
           "threshold", "currency")


@click.command()
@click.option("--dry-run", is_flag=True, help="Evaluate and print only: record nothing, notify nobody.")
@click.option("--no-notify", is_flag=True, help="Record new findings but send nothing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No summary line on stderr (errors still go there).")
@pass_app
def alerts(app_context: AppContext, dry_run: bool, no_notify: bool, fmt: str, quiet: bool) -> int:
    """Threshold rules ([[alerts.thresholds]]) and anomalies ([alerts.anomaly]) over the cache.

    Each finding is recorded once (the dashboard's Alerts tab shows them) and sent once by
    the enabled email/webhook channels; a channel that fails is retried on the next run and
    makes the exit status 1 (as does a refused email recipient, which is not retried).
    Run it from cron after `costtui refresh`, or use `costtui refresh --alerts`."""
    from costtui.alerts.run import run_alerts

    config = app_context.config
    run = run_alerts(
        app_context.cache_path,
        config,
        app_context.today,
        record=not dry_run,
        send=not no_notify,
        lock_timeout=config.cache.lock_timeout_seconds,
    )
    new = {event.fingerprint for event in run.new}
    records = [
        {"new": event.fingerprint in new, **{c: getattr(event, c) for c in COLUMNS[1:]},
         "message": event.message, "fingerprint": event.fingerprint}
        for event in sorted(run.findings, key=lambda e: (e.severity != "critical", e.kind, e.rule, e.message))
    ]
    click.echo(_render(records, fmt), nl=False)
    return report_channels(run, quiet, dry_run, sending=not no_notify)


def report_channels(run, quiet: bool, dry_run: bool = False, sending: bool = True) -> int:
    """Channel problems (always) and a summary line (unless quiet) on stderr; the exit status.

    A warning (a refused recipient) was delivered to the others and is not resent, but it
    still needs someone to fix the config: cron reports a non-zero exit."""
    for result in run.channels:
        if result.error or result.warning:
            print(f"costtui: alerts: {result.error or result.warning}", file=sys.stderr)
    if not quiet:
        print(f"costtui: alerts: {_summary(run, dry_run, sending)}", file=sys.stderr)
    return 1 if any(r.error or r.warning for r in run.channels) else 0


def _render(records: list[dict], fmt: str) -> str:
    if fmt == "json":
        from costtui.exactjson import encode_json

        return encode_json(records) + "\n"
    if not records:
        return "No alerts: every threshold rule is within its limits and no anomaly was found.\n"
    from costtui.exporters.tabular import render_table

    rows = [{**r, "new": "NEW" if r["new"] else ""} for r in records]
    return render_table(rows, [*COLUMNS, "message"])


def _summary(run, dry_run: bool, sending: bool) -> str:
    text = f"{len(run.findings)} finding{'s' if len(run.findings) != 1 else ''}, {len(run.new)} new"
    if dry_run:
        return f"{text} (dry run: nothing recorded or sent)"
    if run.channels:
        delivered = [result.channel for result in run.channels if not result.error]
        return f"{text}; {len(run.sent)} sent" + (f" by {', '.join(delivered)}" if delivered else "")
    if run.new and sending:
        return f"{text}; nothing sent: no notification channel is enabled"
    return text
