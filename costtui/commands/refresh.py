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

EXIT_OK = exitcodes.OK  # every provider asked was fetched (or skipped inside its minimum interval)
EXIT_PROVIDER_FAILED = exitcodes.FAILURE  # some providers failed; the others were published
EXIT_NOTHING_FETCHED = exitcodes.NOTHING_FETCHED  # every provider tried failed
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
    One failing provider does not stop or delay the others: each has a deadline
    (providers.<name>.timeout_seconds), the failure is recorded and the exit status
    is 1; 69 when every provider tried failed. Safe to run from cron."""
    from costtui.cache.errors import CacheBusy
    from costtui.providers.registry import build_providers, enabled_names
    from costtui.refresh import RefreshOptions, run_refresh
    from costtui.tagrules import TagRules

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
        lock_timeout=config.cache.lock_timeout_seconds if wait else 0,
        force=force,
        rebuild=rebuild,
        answers=app_context.stored_answers(),
        tags=TagRules.of(config.allocation),
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
                    f"{outcome.result.total_rows:,} rows, {outcome.result.api_calls} API calls"
                    f"{took(outcome.seconds)}",
                    file=sys.stderr,
                )
                for change in outcome.changes:  # as `costtui import` says it
                    print(change.report(), file=sys.stderr)
        else:
            after = took(outcome.seconds) if not quiet else ""
            print(
                f"costtui: {outcome.provider} failed [{outcome.error.kind}]{after}: {outcome.error}",
                file=sys.stderr,
            )
    status = refresh_status(report)
    if report.failed:
        names = ", ".join(o.provider for o in report.failed)
        what = "nothing fetched" if status == EXIT_NOTHING_FETCHED else "refresh incomplete"
        print(f"costtui: {what}, failed: {names}", file=sys.stderr)
    if then_alerts:  # on whatever was published: one failed provider must not silence the others' alerts
        from costtui.alerts.run import run_alerts
        from costtui.commands.alerts import report_channels

        run = run_alerts(app_context.cache_path, config, app_context.today, lock_timeout=options.lock_timeout)
        status = max(status, report_channels(run, quiet))
    return status


def refresh_status(report) -> int:
    """0 all good, 1 some providers failed, 69 every provider tried failed."""
    if not report.failed:
        return EXIT_OK
    return EXIT_PROVIDER_FAILED if report.fetched else EXIT_NOTHING_FETCHED


def took(seconds: float | None) -> str:
    return f" in {seconds:.1f} s" if seconds is not None else ""


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
