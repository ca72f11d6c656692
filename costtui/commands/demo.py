"""`costtui demo`: fill a cache with synthetic multi-cloud data and open the dashboard."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from costtui.commands.context import AppContext, pass_app, rebuild_option


def demo_cache_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("costtui")) / "demo.duckdb"


@click.command(epilog=f"\b\nThe demo cache (open it again with `costtui --cache PATH`):\n  {demo_cache_path()}")
@click.option("--no-tui", is_flag=True, help="Only fill the demo cache.")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed: same seed, same data.")
@click.option("--rows", type=click.IntRange(min=1), metavar="N", help="Scale to about N rows (benchmarks).")
@rebuild_option
@pass_app
def demo(app_context: AppContext, no_tui: bool, seed: int, rows: int | None, rebuild: bool) -> None:
    """Fill the demo cache (the real cache only if --cache names it), run the alert rules on it with demo
    thresholds, and open the dashboard."""
    from costtui.providers.demo import DEMO_TAGS, DemoProvider, demo_window
    from costtui.refresh import load_once
    from costtui.tagrules import TagRules

    # The real cache is touched only when --cache names it explicitly.
    path = Path(app_context.cache_option) if app_context.cache_option else demo_cache_path()
    today = app_context.today
    start, end = demo_window(today)
    began = time.perf_counter()
    stored = load_once(
        DemoProvider(today, seed=seed, rows=rows),
        path,
        start,
        end,
        fresh=app_context.cache_option is None,
        lock_timeout=app_context.config.cache.lock_timeout_seconds,
        rebuild=rebuild,
        today=today,
        # the configured tag keys, or the demo's own two so the demo shows allocation by tag
        answers=app_context.stored_answers(),
        tags=TagRules.of(app_context.config.allocation) or DEMO_TAGS,
    )
    print(
        f"costtui: demo cache {path}: {stored:,} rows, {start} to {end}, "
        f"in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    # The alert rules with demo thresholds, so the Alerts tab and the Trends chart have findings to show.
    from costtui.alerts.demo import demo_alert_config
    from costtui.alerts.run import run_alerts

    config = demo_alert_config(app_context.config, path, today)
    found = run_alerts(path, config, today, send=False, lock_timeout=app_context.config.cache.lock_timeout_seconds)
    print(f"costtui: demo alerts (demo thresholds): {len(found.findings)} findings, {len(found.new)} new",
          file=sys.stderr)
    if not no_tui:
        from costtui.commands.tui import open_dashboard

        open_dashboard(app_context, path, config)
