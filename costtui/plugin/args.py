"""Command line of `costtui check` (argparse, so the plugin never loads click); bad arguments are UNKNOWN."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from costtui.core.forecast import FORECAST_METHOD
from costtui.core.windows import PERIODS
from costtui.model import METRICS
from costtui.plugin.durations import DurationError, parse_duration
from costtui.plugin.ranges import RangeError, parse_range

DEFAULT_TIMEOUT_SECONDS = 30.0
RANGE_OPTIONS = ("-w", "--warning", "--threshold", "-c", "--critical")

DESCRIPTION = "Icinga/Nagios plugin: alert on cached cloud costs. Reads the local cache only, never a cloud API."
EPILOG = f"""\
periods:
  day       the latest complete day (yesterday; today's costs are still arriving)
  month     month to date (the 1st through today)
  forecast  projected month-end total: {FORECAST_METHOD}

ranges (Monitoring Plugins guidelines; ends are inclusive):
  N         alert if the cost is below 0 or above N (a bare number means 0:N)
  N:        alert if below N
  ~:N       alert if above N
  N:M       alert if outside N..M
  @N:M      alert if inside N..M
  --threshold/--critical take plain numbers too (--threshold is another name for --warning).
  Several currencies in the selection: each is checked against the same ranges; the worst state wins.

exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no or stale cache, no data, bad arguments, timeout).
example:
  costtui check --period month --provider aws -w ~:2000 -c ~:3000
"""


class UsageError(Exception):
    """Arguments the check cannot run with."""


class HelpShown(Exception):
    """--help or --version was printed; nothing to check."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)

    def exit(self, status: int = 0, message: str | None = None):  # type: ignore[override]
        if message:
            raise UsageError(message.strip())
        raise HelpShown()


def _range(text: str):
    try:
        return parse_range(text)
    except RangeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds < 86400:
        raise argparse.ArgumentTypeError(f"timeout must be between 0 and 86400 seconds, not {text}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    from costtui import __version__

    parser = _Parser(
        prog="costtui check",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("-w", "--warning", "--threshold", dest="warning", type=_range, metavar="RANGE", help="Warning range.")
    add("-c", "--critical", dest="critical", type=_range, metavar="RANGE", help="Critical range.")
    add("--period", choices=PERIODS, default="month", help="What to check (default: month).")
    add("--provider", dest="providers", action="append", default=[], metavar="P",
        help="aws, azure, gcp... (repeatable; default all).")
    add("--account", dest="accounts", action="append", default=[], metavar="ID",
        help="Account, subscription or project id (repeatable).")
    add("--service", dest="services", action="append", default=[], metavar="NAME", help="Service (repeatable).")
    add("--metric", choices=METRICS, default="billed", help="billed (invoice) or effective (amortised) cost; "
        "default billed.")
    add("--gross", action="store_true", help="Leave credits out (default: net of credits).")
    add("--max-age", type=_duration, metavar="DURATION",
        help="UNKNOWN if the data is older, e.g. 90m, 36h, 2d (default: config cache.max_age_hours, else 36h).")
    add("-t", "--timeout", type=_seconds, default=DEFAULT_TIMEOUT_SECONDS, metavar="SECONDS",
        help="UNKNOWN after this many seconds (default 30).")
    add("-v", "--verbose", action="count", default=0, help="Breakdown by service (-vv: every service).")
    add("--config", metavar="FILE", help="Config file (also accepted before `check`).")
    add("--cache", metavar="FILE", help="Cache database (also accepted before `check`).")
    add("-V", "--version", action="version", version=f"costtui check {__version__}")
    return parser


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """Parse; raises UsageError (bad arguments) or HelpShown (--help/--version printed)."""
    return build_parser().parse_args(_join_negative_ranges(argv))


def _join_negative_ranges(argv: Sequence[str]) -> list[str]:
    """`-w -10:10` would read as an unknown option; pass it as `-w=-10:10`."""
    result: list[str] = []
    items = list(argv)
    index = 0
    while index < len(items):
        item = items[index]
        following = items[index + 1] if index + 1 < len(items) else None
        if item in RANGE_OPTIONS and following is not None and following.startswith("-") and len(following) > 1 \
                and (following[1].isdigit() or following[1] in ".:"):
            result.append(f"{item}={following}")
            index += 2
            continue
        result.append(item)
        index += 1
    return result
