"""Monitoring Plugins threshold ranges (`10`, `10:`, `~:10`, `10:20`, `@10:20`) on Decimal values."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from costtui.model import CostError


class RangeError(CostError):
    """A threshold that is not in range syntax."""


@dataclass(frozen=True, slots=True)
class Range:
    """An inclusive range; a value alerts when it is outside (or, with `@`, inside) it.

    `None` for an end means unbounded (`~` for the start, an empty end for the stop)."""

    text: str
    start: Decimal | None
    end: Decimal | None
    inside: bool = False

    @property
    def perfdata(self) -> str:
        """The threshold as perfdata: a plain number for an upper limit (`N`, `0:N`, `~:N`),
        which graphers such as Icinga's Graphite and InfluxDB writers can draw; else the range."""
        if not self.inside and self.end is not None and self.start in (None, Decimal(0)):
            return f"{self.end:f}"
        return self.text

    def alerts(self, value: Decimal) -> bool:
        within = (self.start is None or value >= self.start) and (self.end is None or value <= self.end)
        return within if self.inside else not within


def parse_range(text: str) -> Range:
    """Parse range syntax as the Monitoring Plugins guidelines define it.

    `N` is `0:N`; `N:` has no upper end; `~:N` has no lower end; `@` inverts."""
    spec = text.strip()
    if not spec:
        raise RangeError("empty threshold range")
    inside = spec.startswith("@")
    body = spec[1:] if inside else spec
    if ":" in body:
        low_text, _, high_text = body.partition(":")
        start = None if low_text == "~" else _number(low_text or "0", text)
        end = _number(high_text, text) if high_text else None
    else:
        start, end = Decimal(0), _number(body, text)
    if start is not None and end is not None and start > end:
        raise RangeError(f"threshold range {text!r}: start {start} is greater than end {end}")
    return Range(spec, start, end, inside)


def _number(value: str, text: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RangeError(f"threshold range {text!r}: {value!r} is not a number") from None
    if not number.is_finite():
        raise RangeError(f"threshold range {text!r}: {value!r} is not a finite number")
    return number
