"""`costtui refresh` (fill the cache from the clouds, cron-safe) and `costtui test-auth`."""

from __future__ import annotations

import sys
import threading
from datetime import date

import click

from costtui import exitcodes
from costtui.commands.context import AppContext, pass_app, rebuild_option
from costtui.commands.costs import parse_day
from costtui.providers.registry import PROVIDER_NAMES

EXIT_PROVIDER_FAILED = exitcodes.FAILURE
EXIT_BUSY = exitcodes.BUSY  # EX_TEMPFAIL: cron may simply try again next time


class ProgressPrinter:
    """Per-provider progress lines on stderr; silent when quiet or not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()

    def __call__(self, provider: str, status: str) -> None:
        if self.enabled:
            with self._lock:
                print(f"  {provider:<6} {status}", file=sys.stderr, flush=True)


provider_option = click.option(
    "--provider",
    "providers",
    multiple=True,
    type=click.Choice(PROVIDER_NAMES),
    help="Only these (repeatable).",
)


@click.command()
@provider_option
@click.option("--days", type=click.IntRange(min=1), metavar="N", help="Re-fetch exactly the last N days.")
@click.option(
    "--since", callback=parse_day, metavar="YYYY-MM-DD", help="First day of a backfill (default 13 months)."
)
@click.option("--full", is_flag=True, help="Ignore the cache and fetch everything since --since.")
@click.option(
    "--force", is_flag=True, help="Fetch even providers inside their minimum interval (AWS Cost Explorer)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress output (errors still go to stderr).")
@click.option(
    "--wait/--no-wait", default=True, help="Wait for a running refresh (default) or exit 75 at once."
)
@click.option(
    "--alerts", "then_alerts", is_flag=True,
    help="Then run `costtui alerts` on the new data (record and notify new findings).",
)
@rebuild_option
@pass_app
def refresh(
    app_context: AppContext,
    providers: tuple[str, ...],
    days: int | None,
    since: date | None,
    full: bool,
    force: bool,
    quiet: bool,
    wait: bool,
    then_alerts: bool,
    rebuild: bool,
) -> int:
    """Fetch costs from the enabled providers and publish them to the cache.

    Providers run concurrently with no lock held; the cache changes once, atomically.
    One failing provider does not stop the others: the failure is recorded and the
    exit status is 1. Safe to run from cron."""
    from costtui.cache.errors import CacheBusy
    from costtui.providers.registry import build_providers, enabled_names
    from costtui.refresh import RefreshOptions, run_refresh

    config = app_context.config
    if days and (since or full):
        raise click.UsageError("use --days alone, or --since/--full")
    if not providers and not enabled_names(config):
        raise click.UsageError(
            "no provider is enabled: set enabled = true under [providers.aws|azure|gcp|focus] in the config "
            "(see config/costtui.example.toml), or try `costtui demo`"
        )
    chosen = build_providers(config, providers)
    options = RefreshOptions(
        today=app_context.today,
        days=days,
        since=since,
        full=full,
        restatement_days={
            "aws": config.providers.aws.restatement_days,
            "gcp": config.providers.gcp.restatement_days,
        },
        lock_timeout=config.cache.lock_timeout_seconds if wait else 0,
        min_interval_hours=paid_api_intervals(config),
        force=force,
        rebuild=rebuild,
    )
    progress = ProgressPrinter(enabled=not quiet and sys.stderr.isatty())
    try:
        report = run_refresh(chosen, app_context.cache_path, options, on_progress=progress)
    except CacheBusy as exc:
        print(f"costtui: {exc}", file=sys.stderr)
        return EXIT_BUSY
    for outcome in report.outcomes:
        if outcome.skipped:
            if not quiet:
                print(
                    f"costtui: {outcome.provider}: skipped, {outcome.skipped} "
                    f"(providers.{outcome.provider}.min_refresh_hours); --force fetches now",
                    file=sys.stderr,
                )
        elif outcome.ok and outcome.result is not None:
            if not quiet:
                print(
                    f"costtui: {outcome.provider}: {outcome.start} to {outcome.end}, "
                    f"{outcome.result.total_rows:,} rows, {outcome.result.api_calls} API calls",
                    file=sys.stderr,
                )
        else:
            print(f"costtui: {outcome.provider} failed: {outcome.error}", file=sys.stderr)
    status = 0
    if report.failed:
        names = ", ".join(o.provider for o in report.failed)
        print(f"costtui: refresh incomplete, failed: {names}", file=sys.stderr)
        status = EXIT_PROVIDER_FAILED
    if then_alerts:  # on whatever was published: one failed provider must not silence the others' alerts
        from costtui.alerts.run import run_alerts
        from costtui.commands.alerts import report_channels

        run = run_alerts(app_context.cache_path, config, app_context.today, lock_timeout=options.lock_timeout)
        status = max(status, report_channels(run, quiet))
    return status


def paid_api_intervals(config) -> dict[str, float]:
    """Minimum hours between fetches for sources billed per request."""
    aws = config.providers.aws
    return {"aws": aws.min_refresh_hours} if aws.source == "cost_explorer" else {}


@click.command("test-auth")
@provider_option
@pass_app
def test_auth(app_context: AppContext, providers: tuple[str, ...]) -> int:
    """Check credentials and access for each enabled provider; exit 0 only if all pass."""
    from costtui.model import CostError
    from costtui.providers.base import ProviderError
    from costtui.providers.registry import build_provider, enabled_names

    config = app_context.config
    names = list(providers) or enabled_names(config)
    if not names:
        raise click.UsageError("no provider is enabled in the config; nothing to test")
    failures = 0
    for name in names:
        try:
            build_provider(name, config).check_auth()
        except ProviderError as exc:
            failures += 1
            click.echo(f"{name:<6} FAILED  {exc}  [{exc.kind}]")
        except CostError as exc:
            failures += 1
            click.echo(f"{name:<6} FAILED  {exc}")
        else:
            click.echo(f"{name:<6} OK")
    return exitcodes.FAILURE if failures else exitcodes.OK
