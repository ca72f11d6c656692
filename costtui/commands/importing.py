"""`costtui import`: load FOCUS files into the cache, restating what they cover, and say what changed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from costtui.commands.context import AppContext, pass_app, rebuild_option


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the files and show what would be replaced; write nothing.")
@rebuild_option
@pass_app
def import_files(app_context: AppContext, paths: tuple[Path, ...], dry_run: bool, rebuild: bool) -> None:
    """Import FOCUS 1.0-1.3 files (CSV, CSV.gz, Parquet) or folders of them.

    Files with BillingPeriodStart replace exactly the (provider, billing account, billing
    period) slices they contain, so a late credit in next month's invoice never removes this
    month's rows; files without it replace, per provider and billing account, the days they
    cover. All files of one command are one delivery. Each replaced slice is reported as
    old total -> new total (billed cost) with row counts. A file with a bad value is refused
    as a whole; nothing of the import is stored."""
    from costtui.providers.focus_files import FocusFilesProvider
    from costtui.refresh import restate_once
    from costtui.tagrules import TagRules

    config = app_context.config
    outcome = restate_once(
        FocusFilesProvider(paths),
        app_context.cache_path,
        app_context.today,
        app_context.today,
        lock_timeout=config.cache.lock_timeout_seconds,
        dry_run=dry_run,
        rebuild=rebuild,
        today=app_context.today,
        answers=app_context.stored_answers(),
        tags=TagRules.of(config.allocation),
    )
    verb = "would replace" if dry_run else "replaced"
    for change in outcome.changes:
        print(f"costtui: {verb} {change.describe()}", file=sys.stderr)
    if dry_run:
        print(f"costtui: dry run, nothing written to {app_context.cache_path}", file=sys.stderr)
    else:
        print(f"costtui: imported {outcome.stored:,} daily rows into {app_context.cache_path}", file=sys.stderr)
