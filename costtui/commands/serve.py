"""`costtui serve`: the read-only REST API and /metrics, for dashboards, scripts and Prometheus."""

from __future__ import annotations

import os

import click

from costtui.commands.context import AppContext, pass_app


@click.command()
@click.option("--host", metavar="ADDRESS", help="Address to bind (default: serve.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), metavar="PORT", help="Port (default: serve.port, 8765).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, metavar="N",
              help="Worker processes on the one socket (use the cores; each remembers its own answers).")
@click.option("--quiet", "-q", is_flag=True, help="No access log on stderr.")
@pass_app
def serve(app_context: AppContext, host: str | None, port: int | None, workers: int, quiet: bool) -> int:
    """Serve cached costs over HTTP: /api/v1/costs/{summary,daily,services,accounts,regions},
    /api/health/{live,ready}, /metrics and /openapi.json.

    Read-only; each request reads the newest cache snapshot (answers are remembered until the
    next publish). Binds 127.0.0.1 unless told otherwise; any other address needs
    COSTTUI_API_TOKEN, which clients then send as `Authorization: Bearer <token>` (health
    endpoints need none). SIGTERM lets requests in flight finish."""
    from costtui.api.server import serve as run_server
    from costtui.api.settings import TOKEN_ENV, ApiSettings
    from costtui.core.today import resolve_today

    config = app_context.config
    pinned = getattr(app_context, "_today", None) or config.demo_today
    settings = ApiSettings(
        cache_path=app_context.cache_path,
        today=lambda: resolve_today(pinned),  # per request: a server running past midnight moves on
        token=os.environ.get(TOKEN_ENV) or None,
        default_days=config.display.default_days,
        metric=config.display.metric,
        gross=config.display.gross,
        max_age_hours=config.cache.max_age_hours,
        top_services_per_account=config.export.top_services_per_account,
        tag_keys=config.allocation.tag_keys,
        tag_labels=config.export.tag_labels,
    )
    return run_server(
        settings,
        host or config.serve.host,
        config.serve.port if port is None else port,
        workers=workers,
        quiet=quiet,
        pinned_today=pinned,
    )
