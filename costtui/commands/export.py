"""`costtui export`: Prometheus metrics (textfile, Pushgateway or stdout), CSV and JSON from the cache."""

from __future__ import annotations

from pathlib import Path

import click

from costtui.commands.context import AppContext, pass_app
from costtui.commands.costs import build_query, query_options, read_groups


@click.group()
def export() -> None:
    """Export cached costs for other tools; reads the cache only, never a cloud API."""


@export.command("prometheus")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.prom",
              help="Write a node_exporter textfile atomically (default: print to stdout).")
@click.option("--pushgateway", metavar="URL", help="Push to a Prometheus Pushgateway instead.")
@click.option("--job", metavar="NAME", help="Pushgateway job name (default costtui).")
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None, help="Default from config.")
@click.option("--gross", is_flag=True, default=None, help="Leave credits out (default: net of credits).")
@pass_app
def prometheus(
    app_context: AppContext,
    output: Path | None,
    pushgateway: str | None,
    job: str | None,
    metric: str | None,
    gross: bool | None,
) -> None:
    """Cost gauges per provider, account, service and currency, plus refresh status.

    Services beyond export.top_services_per_account in each account are summed as
    cloud_service="other", to keep label cardinality bounded."""
    if output and pushgateway:
        raise click.UsageError("use either --output or --pushgateway, not both")
    if job and not pushgateway:
        raise click.UsageError("--job only applies with --pushgateway")
    from prometheus_client import generate_latest

    from costtui.cache import CacheReader
    from costtui.exporters.delivery import atomic_write, push
    from costtui.exporters.prometheus import build_registry

    config = app_context.config
    with CacheReader(app_context.cache_path).session() as queries:
        registry = build_registry(
            queries,
            app_context.today,
            config.export.top_services_per_account,
            metric=metric or config.display.metric,
            gross=config.display.gross if gross is None else gross,
            max_age_seconds=config.cache.max_age_hours * 3600,
            tag_labels=config.export.tag_labels,
        )
    if pushgateway:
        push(registry, pushgateway, job or "costtui")
    elif output:
        atomic_write(output, generate_latest(registry))
    else:
        click.echo(generate_latest(registry).decode("utf-8"), nl=False)


def _tabular_command(fmt: str):
    @click.command(fmt, help=f"The same rows as `costs`, as {fmt.upper()}, for spreadsheets and scripts.")
    @query_options
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                  help="Write to FILE atomically (default: stdout).")
    @pass_app
    def command(app_context: AppContext, output: Path | None, **opts) -> None:
        from costtui.exporters.delivery import atomic_write
        from costtui.exporters.tabular import render

        query = build_query(app_context, **opts)
        groups = read_groups(app_context, query, opts["period"])
        text = render(groups, query.group_by, query.metric, fmt)
        if output:
            atomic_write(output, text.encode("utf-8"))
        else:
            click.echo(text, nl=False)

    return command


export.add_command(_tabular_command("csv"))
export.add_command(_tabular_command("json"))


@export.command("focus")
@query_options
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write to FILE atomically (a temp file beside it, then rename).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default=None,
              help="Default: parquet for a .parquet FILE, else csv.")
@pass_app
def focus(app_context: AppContext, output: Path, fmt: str | None, **opts) -> None:
    """The cached daily rows as a FOCUS 1.2 file (CSV or Parquet), with the same filters as `costs`.

    Costs keep full precision; columns of costtui's own are prefixed x_ (x_Estimated).
    `costtui import` reads the file back with every total unchanged. --metric and
    --group-by do not apply: both costs are written, one row per cached day."""
    import sys

    from costtui.cache import CacheReader
    from costtui.exporters.focus import write_focus

    query = build_query(app_context, **opts)
    fmt = fmt or ("parquet" if output.name.lower().endswith(".parquet") else "csv")
    with CacheReader(app_context.cache_path).session() as queries:
        rows = write_focus(queries, query, output, fmt)
    print(f"costtui: wrote {rows:,} FOCUS rows to {output}", file=sys.stderr)
