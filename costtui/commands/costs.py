"""`costtui costs`: cost totals from the cache, grouped and filtered, as table, JSON or CSV."""

from __future__ import annotations

from datetime import date

import click

from costtui.commands.context import AppContext, pass_app
from costtui.model import GROUP_BY_CHOICES, CostQuery, group_tag_key


def parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def parse_group_by(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """The fixed choices, or `tag:KEY` for a configured tag key (the cache checks the key)."""
    chosen = []
    for value in values:
        key = group_tag_key(value)
        if key is not None:
            chosen.append(f"tag:{key}")
        elif value in GROUP_BY_CHOICES:
            chosen.append(value)
        else:
            raise click.BadParameter(f"{value!r} is not one of {', '.join(GROUP_BY_CHOICES)} or tag:KEY")
    return tuple(chosen)


def parse_tags(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple:
    from costtui.core.tags import TagFilterError, parse_tag_filter

    try:
        return tuple(parse_tag_filter(value, "=") for value in values)
    except TagFilterError as exc:
        raise click.BadParameter(str(exc)) from None


def query_options(function):
    """Filters and grouping shared by `costs` and `export csv|json`."""
    options = [
        click.option(
            "--provider", "providers", multiple=True, metavar="P", help="aws, azure, gcp... (repeatable)"
        ),
        click.option(
            "--account", "accounts", multiple=True, metavar="ID", help="Account/subscription/project id."
        ),
        click.option("--service", "services", multiple=True, metavar="NAME"),
        click.option("--region", "regions", multiple=True, metavar="REGION"),
        click.option("--start", callback=parse_day, metavar="YYYY-MM-DD", help="First day (inclusive)."),
        click.option("--end", callback=parse_day, metavar="YYYY-MM-DD", help="Last day (inclusive)."),
        click.option("--days", type=click.IntRange(min=1), metavar="N",
                     help="The last N complete days (ending yesterday)."),
        click.option("--period", type=click.Choice(["day", "month", "forecast"]), default=None,
                     help="As `check`: the latest complete day, month to date, or the month-end forecast."),
        click.option(
            "--group-by", "group_by", multiple=True, callback=parse_group_by, metavar="[" + "|".join(GROUP_BY_CHOICES) + "|tag:KEY]",
            help="Repeatable. tag:KEY groups by a tag key of [allocation] tag_keys (untagged: null / (untagged)).",
        ),
        click.option(
            "--tag", "tags", multiple=True, callback=parse_tags, metavar="KEY=VALUE",
            help="Only spend tagged so (repeatable: values of one key OR, keys AND); KEY= is untagged spend.",
        ),
        click.option(
            "--metric", type=click.Choice(["billed", "effective"]), default=None, help="Default from config."
        ),
        click.option(
            "--gross", is_flag=True, default=None, help="Leave credits out (default: net of credits)."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def build_query(app_context: AppContext, **opts) -> CostQuery:
    """The selection and window asked for; windows follow the core's one rule (core/windows.py)."""
    from costtui.core.windows import WindowError, period_window, resolve_window

    display = app_context.config.display
    try:
        if opts.get("period"):
            if opts["start"] or opts["end"] or opts["days"]:
                raise WindowError("--period", "use either --period or --start/--end/--days, not both")
            window = period_window(opts["period"], app_context.today)
            if opts["period"] == "forecast" and any(map(group_tag_key, opts["group_by"])):
                raise WindowError("--group-by", "the forecast groups by provider, account, service, region or "
                                                "charge_category, not by a tag (a tag filter is fine)")
        else:
            window = resolve_window(app_context.today, display.default_days, opts["start"], opts["end"], opts["days"])
    except WindowError as exc:
        raise click.BadParameter(str(exc), param_hint=exc.parameter) from None
    return CostQuery(
        start=window.start,
        end=window.end,
        providers=tuple(p.lower() for p in opts["providers"]),
        accounts=opts["accounts"],
        services=opts["services"],
        regions=opts["regions"],
        metric=opts["metric"] or display.metric,
        gross=display.gross if opts["gross"] is None else opts["gross"],
        group_by=tuple(dict.fromkeys(opts["group_by"] or ("provider",))),
        tags=opts["tags"],
    )


def read_groups(app_context: AppContext, query: CostQuery, period: str | None) -> list:
    """The groups `costs` and `export csv|json` print, from the core; an unknown tag key is a usage
    error naming the option that asked for it."""
    from costtui.cache import CacheReader
    from costtui.core.reports import breakdown, period_breakdown
    from costtui.model import UnknownTagKey

    try:
        with CacheReader(app_context.cache_path).session() as queries:
            if period:
                return period_breakdown(queries, query, period, app_context.today)
            return breakdown(queries, query)
    except UnknownTagKey as exc:
        raise exc.naming(exc.parameter_of(query, "--group-by", "--tag")) from None


@click.command()
@query_options
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@pass_app
def costs(app_context: AppContext, fmt: str, **opts) -> None:
    """Costs from the cache, grouped (default by provider) and filtered."""
    from costtui.exporters.tabular import render

    query = build_query(app_context, **opts)
    groups = read_groups(app_context, query, opts["period"])
    click.echo(render(groups, query.group_by, query.metric, fmt), nl=False)
