"""Durations on the command line (`90m`, `36h`, `2d`) as seconds."""

from __future__ import annotations

import re

from costtui.model import CostError

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_PATTERN = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


class DurationError(CostError):
    """A duration without a number and a unit."""


def parse_duration(text: str) -> float:
    """Seconds in `text`, a number with a unit s, m, h or d (e.g. `90m`, `36h`, `2d`)."""
    match = DURATION_PATTERN.fullmatch(text.strip().lower())
    if not match:
        raise DurationError(f"{text!r} is not a duration; use a number and a unit s, m, h or d (90m, 36h, 2d)")
    seconds = float(match.group(1)) * UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise DurationError(f"{text!r}: a duration must be longer than zero")
    return seconds
