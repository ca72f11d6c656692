"""Threshold ranges as the Monitoring Plugins guidelines define them, and durations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costtui.plugin.durations import DurationError, parse_duration
from costtui.plugin.ranges import RangeError, parse_range

D = Decimal


@pytest.mark.parametrize(
    ("text", "value", "alerts"),
    [
        # N: outside 0..N, ends inclusive
        ("10", "10", False), ("10", "10.01", True), ("10", "0", False), ("10", "-0.01", True),
        # N: below N
        ("10:", "10", False), ("10:", "9.99", True), ("10:", "1000000", False),
        # ~:N: above N
        ("~:10", "10", False), ("~:10", "10.01", True), ("~:10", "-500", False),
        # N:M: outside N..M
        ("10:20", "10", False), ("10:20", "20", False), ("10:20", "9.99", True), ("10:20", "20.01", True),
        # @N:M: inside N..M
        ("@10:20", "10", True), ("@10:20", "20", True), ("@10:20", "15", True),
        ("@10:20", "9.99", False), ("@10:20", "20.01", False),
        # negative bounds and decimals
        ("-5:5", "-5", False), ("-5:5", "-5.01", True), ("~:0.5", "0.50", False), ("~:0.5", "0.51", True),
    ],
)
def test_range_alerts_exactly_outside_its_inclusive_ends(text, value, alerts):
    assert parse_range(text).alerts(D(value)) is alerts


def test_bare_number_means_zero_to_n():
    bare = parse_range("2000")
    assert (bare.start, bare.end, bare.inside) == (D(0), D(2000), False)
    assert bare.text == "2000"  # perfdata repeats the range as given


@pytest.mark.parametrize("text", ["", "abc", "10:5", "~", "@", "nan", "10:x", "~:inf"])
def test_bad_ranges_are_rejected_with_the_text(text):
    with pytest.raises(RangeError):
        parse_range(text)


@pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("36h", 129600), ("2d", 172800), ("45s", 45),
                                               ("1.5h", 5400)])
def test_durations_with_units(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["36", "h", "0h", "-2d", "2w", ""])
def test_durations_need_a_positive_number_and_a_unit(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_perfdata_threshold_is_a_plain_number_for_upper_limits_else_the_range():
    assert parse_range("~:2000").perfdata == "2000"
    assert parse_range("2000").perfdata == "2000"
    assert parse_range("0:2000.5").perfdata == "2000.5"
    assert parse_range("10:20").perfdata == "10:20"
    assert parse_range("@0:20").perfdata == "@0:20"
    assert parse_range("100:").perfdata == "100:"
