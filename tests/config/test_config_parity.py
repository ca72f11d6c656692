"""One config reading: `check`'s light path accepts and refuses exactly what full validation does."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path

import pytest

from costtui.config import Config, ConfigError, load_config
from costtui.config.fast import FastConfigError, load_fast_config
from costtui.config.rules import _fields

# TOML literals tried for every key of the schema: right and wrong types, in and out of range.
LITERALS = (
    '"36"', "36", "36.5", "0", "-1", "65535", "65536", "99999", "1000000000", "true", "nan", "inf",
    '"yes"', "2026-11-15", '"2026-11-15"', "2026-11-15T10:00:00", "[1]", '"cost_explorer"', '"billed"',
    '"month"', '"/srv/c.duckdb"', '""', "99999999999999.99",
)


def leaf_keys(cls: type = Config, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str, bool]]:
    """(section path, key, in a list of tables) for every scalar key of the schema."""
    keys = []
    for name, kind, _ in _fields(cls):
        inner = kind
        if typing.get_origin(inner) in (typing.Union, types.UnionType):
            inner = next(k for k in typing.get_args(inner) if k is not type(None))
        if dataclasses.is_dataclass(inner):
            keys += leaf_keys(inner, (*prefix, name))
        elif typing.get_origin(inner) is list and dataclasses.is_dataclass(typing.get_args(inner)[0]):
            keys += [(p, k, True) for p, k, _ in leaf_keys(typing.get_args(inner)[0], (*prefix, name))]
        elif typing.get_origin(inner) is dict:
            keys.append(((*prefix, name), "EUR", False))
        else:
            keys.append((prefix, name, False))
    return keys


def toml_for(section: tuple[str, ...], key: str, literal: str, table_list: bool) -> str:
    if not section:
        return f"{key} = {literal}\n"
    if table_list:
        extra = "" if key == "name" else 'name = "r"\n'
        return f"[[{'.'.join(section)}]]\n{extra}{key} = {literal}\n"
    return f"[{'.'.join(section)}]\n{key} = {literal}\n"


HAND_WRITTEN = [
    "",
    '[cache]\nmax_age_hours = "36"\n',  # the reported disagreement
    "[cache]\nmax_age_hours = 36\n",
    "[serve]\nport = 99999\n",
    "[display]\ndefault_days = 1000000000\n",
    "[cache]\nmax_agee = 3\n",
    "[[alerts.thresholds]]\nperiod = 'month'\n",
    "[currency_rates]\nEUR = 0\n",
    "[currency_rates]\nEUR = '1.08'\n",
    "cache = 3\n",
    "[providers.aws]\nenabled = 'true'\n",
]
GENERATED = [toml_for(s, k, lit, t) for s, k, t in leaf_keys() for lit in LITERALS]


def read_both(path: Path) -> tuple[object, object]:
    results = []
    for reader, error in ((load_config, ConfigError), (load_fast_config, FastConfigError)):
        try:
            results.append(reader(path))
        except error as exc:
            results.append(str(exc))
    return results[0], results[1]


@pytest.mark.parametrize("text", HAND_WRITTEN)
def test_both_readings_agree_on_hand_written_files(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    full, fast = read_both(path)
    if isinstance(full, str) or isinstance(fast, str):
        assert full == fast  # both refuse, with the same one line
        assert "\n" not in full
    else:
        assert fast.max_age_hours == full.cache.max_age_hours
        assert fast.demo_today == full.demo_today


def test_both_readings_agree_on_every_key_with_every_kind_of_value(tmp_path):
    disagreements, refused = [], 0
    for number, text in enumerate(GENERATED):
        path = tmp_path / f"config-{number}.toml"
        path.write_text(text)
        full, fast = read_both(path)
        if isinstance(full, str) != isinstance(fast, str) or (isinstance(full, str) and full != fast):
            disagreements.append((text, full, fast))
        refused += isinstance(full, str)
    assert disagreements == []
    assert 0 < refused < len(GENERATED)  # the corpus holds both good and bad files


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[serve]\nport = 99999\n", "serve.port"),
        ("[serve]\nport = 0\n", "serve.port"),
        ("[alerts.notifications.email]\nsmtp_port = 70000\n", "smtp_port"),
        ("[display]\ndefault_days = 1000000000\n", "display.default_days"),
        ("[cache]\nmax_age_hours = 100000\n", "cache.max_age_hours"),
        ("[providers.aws]\nrestatement_days = 5000\n", "providers.aws.restatement_days"),
        ("[cache]\nmax_age_hours = nan\n", "cache.max_age_hours"),
        ('[cache]\nmax_age_hours = "36"\n', "cache.max_age_hours"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_key(tmp_path, text, key):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=key) as info:
        load_config(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)
    assert info.value.exit_code == 2
