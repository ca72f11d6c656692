"""`costtui import`: load FOCUS files into the cache, restating what they cover."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from costtui.commands.context import AppContext, pass_app, rebuild_option


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@rebuild_option
@pass_app
def import_files(app_context: AppContext, paths: tuple[Path, ...], rebuild: bool) -> None:
    """Import FOCUS 1.0-1.3 files (CSV, CSV.gz, Parquet) or folders of them.

    For each provider and billing account in the files, the days they cover are
    replaced, so importing a newer export of the same period never double counts.
    A file with a bad value is refused as a whole; nothing of the import is stored."""
    from costtui.providers.focus_files import FocusFilesProvider
    from costtui.refresh import load_once

    config = app_context.config
    stored = load_once(
        FocusFilesProvider(paths),
        app_context.cache_path,
        app_context.today,
        app_context.today,
        lock_timeout=config.cache.lock_timeout_seconds,
        rebuild=rebuild,
    )
    print(f"costtui: imported {stored:,} daily rows into {app_context.cache_path}", file=sys.stderr)
