"""`costtui serve`: the read-only REST API and /metrics, for dashboards, scripts and Prometheus."""

from __future__ import annotations

import os

import click

from costtui.commands.context import AppContext, pass_app


@click.command()
@click.option("--host", metavar="ADDRESS", help="Address to bind (default: serve.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), metavar="PORT", help="Port (default: serve.port, 8765).")
@click.option("--quiet", "-q", is_flag=True, help="No access log on stderr.")
@pass_app
def serve(app_context: AppContext, host: str | None, port: int | None, quiet: bool) -> int:
    """Serve cached costs over HTTP: /api/v1/costs/{summary,daily,services,accounts,regions},
    /api/health/{live,ready}, /metrics and /openapi.json.

    Read-only; each request reads the newest cache snapshot. Binds 127.0.0.1 unless told
    otherwise; any other address needs COSTTUI_API_TOKEN, which clients then send as
    `Authorization: Bearer <token>` (health endpoints need none)."""
    from costtui.api.app import ApiApp, ApiSettings
    from costtui.api.server import TOKEN_ENV
    from costtui.api.server import serve as run_server

    config = app_context.config
    settings = ApiSettings(
        cache_path=app_context.cache_path,
        today=lambda: app_context.today,
        token=os.environ.get(TOKEN_ENV) or None,
        default_days=config.display.default_days,
        metric=config.display.metric,
        gross=config.display.gross,
        max_age_hours=config.cache.max_age_hours,
        top_services_per_account=config.export.top_services_per_account,
    )
    return run_server(
        ApiApp(settings),
        host or config.serve.host,
        config.serve.port if port is None else port,
        quiet=quiet,
    )
