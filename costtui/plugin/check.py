"""`costtui check`: the Icinga/Nagios plugin. Reads the cache, applies ranges, prints one status line, exits 0-3.

Start-up is its cost (monitoring runs it every few minutes for every service), so this path
loads argparse, tomllib and duckdb only: no click, pydantic, textual or cloud SDK."""

from __future__ import annotations

from argparse import Namespace
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.config.fast import load_fast_config, resolve_cache_path
from costtui.core.forecast import FORECAST_METHOD, forecast
from costtui.core.freshness import ProviderFreshness, provider_freshness
from costtui.core.reports import period_groups, period_totals
from costtui.core.today import resolve_today
from costtui.core.windows import period_window
from costtui.model import CostError, CostQuery, to_cents
from costtui.plugin.args import HelpShown, UsageError, parse_arguments
from costtui.plugin.ranges import Range
from costtui.plugin.runtime import (
    PLUGIN_NAME,
    CheckTimeout,
    Deadline,
    Output,
    State,
    Unknown,
    unknown_line,
    worst,
)

if TYPE_CHECKING:
    from datetime import date

    from costtui.cache import CostQueries

BREAKDOWN_LINES = 10


@dataclass
class Outcome:
    """What the check found: the worst state, the status line and any further lines."""

    state: State
    summary: str
    perfdata: list[str]
    details: list[str] = field(default_factory=list)

    def render(self) -> str:
        line = f"{PLUGIN_NAME} {self.state.name} - {self.summary}"
        if self.perfdata:
            line += " | " + " ".join(self.perfdata)
        return "\n".join([line, *self.details])


def run_check(argv: Sequence[str], config_path: str | None = None, cache_path: str | None = None) -> int:
    """Run the plugin; prints its answer to stdout and returns the exit code. Never raises."""
    output = Output()
    try:
        args = parse_arguments(argv)
    except HelpShown:
        return State.OK
    except UsageError as exc:
        output.emit(unknown_line(f"bad arguments: {exc}"))
        return State.UNKNOWN
    deadline = Deadline(args.timeout, output)
    try:
        with deadline:
            outcome = evaluate(args, args.config or config_path, args.cache or cache_path)
        text, state = outcome.render(), outcome.state
    except BaseException as exc:  # a plugin answers UNKNOWN, never with a traceback
        text, state = unknown_line(_reason(exc, deadline)), State.UNKNOWN
        if isinstance(exc, Unknown) and len(exc.args) > 1 and exc.args[1] and not deadline.expired:
            text += " | " + exc.args[1]
    output.emit(text.replace("\x00", ""))
    return state


def _reason(exc: BaseException, deadline: Deadline) -> str:
    if deadline.expired or isinstance(exc, CheckTimeout):
        return deadline.message
    if isinstance(exc, (Unknown, CostError)):
        return str(exc.args[0]) if exc.args else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, SystemExit):
        return f"exited early ({exc.code})"
    text = str(exc).strip().splitlines()
    return f"unexpected error: {type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def evaluate(args: Namespace, config_option: str | None, cache_option: str | None) -> Outcome:
    config = load_fast_config(config_option)
    today = resolve_today(config.demo_today)
    path = resolve_cache_path(cache_option, config)
    max_age = args.max_age or config.max_age_hours * 3600
    query = CostQuery(
        providers=tuple(p.lower() for p in args.providers),
        accounts=tuple(args.accounts),
        services=tuple(args.services),
        metric=args.metric,
        gross=args.gross,
    )
    selection = describe_selection(query)
    from costtui.cache import CacheReader  # duckdb loads inside the timeout

    with CacheReader(path).session() as queries:
        # A provider the cache knows nothing of is "no data" below, not a freshness problem.
        freshness = [
            entry for entry in provider_freshness(queries, query.providers, max_age_seconds=max_age) if entry.known
        ]
        ages = [entry.age_seconds for entry in freshness if entry.age_seconds is not None]
        # The oldest selected provider's data, not the cache file's: graphs show what goes stale.
        age_perfdata = f"'cache_age'={max(ages)}s;;;0" if ages else ""
        unfit = [entry for entry in freshness if not entry.fresh]
        if unfit:
            raise Unknown(not_fresh_reason(unfit), age_perfdata)
        values, details = period_values(queries, query, args.period, today, args.verbose)
        if not values:
            values = {currency: Decimal(0) for currency in queries.totals(query)}
        if not values:
            raise Unknown(f"no data for {selection} in the cache", age_perfdata)
    window = period_window(args.period, today)
    return judge(values, args.warning, args.critical, f"{selection} {window.label}", age_perfdata, details)


def not_fresh_reason(unfit: list[ProviderFreshness]) -> str:
    """Which providers cannot be trusted, since when and why, in one line."""
    reason = "; ".join(entry.describe() for entry in unfit)
    if not any(entry.failed for entry in unfit):
        reason += "; is the `costtui refresh` cron job running?"
    return reason


def judge(
    values: dict[str, Decimal],
    warning: Range | None,
    critical: Range | None,
    label: str,
    age_perfdata: str,
    details: list[str],
) -> Outcome:
    """Each currency's state from the ranges (critical first); the service takes the worst."""
    states = []
    perfdata = []
    for currency, value in sorted(values.items()):
        amount = to_cents(value)
        if critical and critical.alerts(amount):
            states.append(State.CRITICAL)
        elif warning and warning.alerts(amount):
            states.append(State.WARNING)
        else:
            states.append(State.OK)
        name = "cost" if len(values) == 1 else f"cost_{currency}"
        minimum = "0" if amount >= 0 else ""
        perfdata.append(
            f"'{name}'={amount:f};{warning.perfdata if warning else ''};{critical.perfdata if critical else ''};{minimum}"
        )
    if age_perfdata:
        perfdata.append(age_perfdata)
    amounts = ", ".join(f"{to_cents(value):f} {currency}" for currency, value in sorted(values.items()))
    limits = [f"{name} {r.text}" for name, r in (("warn", warning), ("crit", critical)) if r]
    summary = f"{label} {amounts}" + (f" ({', '.join(limits)})" if limits else "")
    return Outcome(worst(states), _clean(summary), perfdata, [_clean(line) for line in details])


def period_values(
    queries: CostQueries, query: CostQuery, period: str, today: date, verbose: int
) -> tuple[dict[str, Decimal], list[str]]:
    """The period's cost per currency, and the -v breakdown lines."""
    from dataclasses import replace

    limit = None if verbose > 1 else BREAKDOWN_LINES
    if not verbose:
        return period_totals(queries, query, period, today), []
    details: list[str] = []
    if period == "forecast":
        details.append(f"method: {FORECAST_METHOD}")
        for key, f in sorted(forecast(queries, query, today).items()):
            details.append(
                f"{key[-1]}: {to_cents(f.month_to_date):f} so far + {to_cents(f.projected):f} projected"
                f" over {f.remaining_days} days = {to_cents(f.total):f}"
            )
    by_service = period_groups(queries, replace(query, group_by=("provider", "service")), period, today)
    values: dict[str, Decimal] = defaultdict(Decimal)  # the services' sum: one scan, the same total
    for key, cost in by_service.items():
        values[key[-1]] += cost
    details.extend(_breakdown([(cost, key) for key, cost in by_service.items()], limit))
    return dict(values), details


def _breakdown(rows: list[tuple[Decimal, tuple]], limit: int | None) -> list[str]:
    rows = sorted(rows, key=lambda row: (-row[0], row[1]))
    lines = [f"{provider} / {service}: {to_cents(cost):f} {currency}" for cost, (provider, service, currency) in rows]
    if limit is not None and len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more (-vv shows all)"]
    return lines


def describe_selection(query: CostQuery) -> str:
    parts = [",".join(query.providers) or "all providers"]
    if query.accounts:
        parts.append("account " + ",".join(query.accounts))
    if query.services:
        parts.append("service " + ",".join(query.services))
    if query.metric != "billed":
        parts.append(query.metric)
    if query.gross:
        parts.append("gross")
    return " ".join(parts)


def _clean(text: str) -> str:
    """A `|` in a service name would start the perfdata; line breaks would split the status line."""
    return text.replace("|", "/").replace("\n", " ").replace("\r", " ")

