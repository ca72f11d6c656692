"""The one set of rules a config file must follow, checked with the standard library alone.

Both readings run it first: the full one (`parse_config`, then pydantic builds the objects)
and the light one `check` uses (`fast.py`, no pydantic). So they accept and refuse exactly
the same files, with the same message. The rules come from the dataclasses in `schema.py`:
field types, `Min`/`Above`/`Max` bounds, required keys, no unknown keys. Values take their
TOML type: a number in quotes ("36") is refused, not guessed."""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Literal

from costtui.config.schema import MAX_TAG_KEYS, TAG_KEY_PATTERN, Above, Config, Max, Min
from costtui.model import normalise_tag_key, tag_column


class RuleError(ValueError):
    """`key.path: what is wrong`."""


def check_config(data: dict) -> None:
    """RuleError naming the first key that breaks a rule; None when the file is valid."""
    _check(Config, data, ())
    _check_allocation(data.get("allocation", {}))
    _check_tag_references(data)


def _check_allocation(section: dict) -> None:
    """Tag keys that could not be told apart in the cache, or an alias that two keys claim."""
    keys = section.get("tag_keys", [])
    if len(keys) > MAX_TAG_KEYS:
        _fail(("allocation", "tag_keys"), f"at most {MAX_TAG_KEYS} keys (tags are high-cardinality), got {len(keys)}")
    columns: dict[str, str] = {}
    for index, raw in enumerate(keys):
        key = normalise_tag_key(raw)
        if not re.fullmatch(TAG_KEY_PATTERN, key):
            _fail(("allocation", "tag_keys", index), "a tag key is 1-64 letters, digits, spaces or _ . : / -", raw)
        if key in columns.values():
            _fail(("allocation", "tag_keys", index), f"{key!r} is listed twice (spaces around keys are ignored)")
        column = tag_column(key)
        if column in columns:
            _fail(("allocation", "tag_keys", index), f"{key!r} and {columns[column]!r} would share the cache column {column}")
        columns[column] = key
    configured = set(columns.values())
    claimed: dict[str, str] = {}
    for raw_key, aliases in section.get("aliases", {}).items():
        key = normalise_tag_key(raw_key)
        if key not in configured:
            _fail(("allocation", "aliases", raw_key), "not one of allocation.tag_keys")
        for index, raw_alias in enumerate(aliases):
            alias = normalise_tag_key(raw_alias)
            if alias in configured and alias != key:
                _fail(("allocation", "aliases", raw_key, index), f"{alias!r} is a configured key itself")
            other = claimed.get(alias, key)
            if other != key:
                _fail(("allocation", "aliases", raw_key, index), f"{alias!r} already stands for {other!r}")
            claimed[alias] = key


def _check_tag_references(data: dict) -> None:
    """A threshold's tag scope and export.tag_labels name configured keys: any other has no column to read."""
    configured = {normalise_tag_key(key) for key in data.get("allocation", {}).get("tag_keys", [])}
    for index, key in enumerate(data.get("export", {}).get("tag_labels", [])):
        if normalise_tag_key(key) not in configured:
            _fail(("export", "tag_labels", index), "not one of allocation.tag_keys", key)
    for index, rule in enumerate(data.get("alerts", {}).get("thresholds", [])):
        for key in rule.get("tag", {}):
            if normalise_tag_key(key) not in configured:
                _fail(("alerts", "thresholds", index, "tag", key), "not one of allocation.tag_keys")


@cache
def _fields(cls: type) -> tuple[tuple[str, Any, bool], ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return tuple(
        (f.name, hints[f.name], f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        for f in dataclasses.fields(cls)
    )


def _key(path: tuple) -> str:
    return ".".join(str(part) for part in path) or "<root>"


def _fail(path: tuple, message: str, value: object = dataclasses.MISSING) -> typing.NoReturn:
    got = "" if value is dataclasses.MISSING or isinstance(value, (dict, list)) else f" (got {value!r})"
    raise RuleError(f"{_key(path)}: {message}{got}")


def _check(kind: Any, value: object, path: tuple) -> None:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        # only `X | None`: TOML has no null, so a present key must be an X
        kind = next(k for k in typing.get_args(kind) if k is not type(None))
    bounds: list = []
    if typing.get_origin(kind) is typing.Annotated:
        kind, *bounds = typing.get_args(kind)
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        _check_section(kind, value, path)
    elif origin in (list, tuple):  # tuple[X, ...]: a TOML array, kept immutable
        if not isinstance(value, list):
            _fail(path, "Input should be a valid list", value)
        for index, item in enumerate(value):
            _check(typing.get_args(kind)[0], item, (*path, index))
    elif origin is dict:
        if not isinstance(value, dict):
            _fail(path, "Input should be a valid dictionary (a table)", value)
        for key, item in value.items():
            _check(typing.get_args(kind)[1], item, (*path, key))
    elif origin is Literal:
        allowed = typing.get_args(kind)
        if value not in allowed or not isinstance(value, str):
            _fail(path, "Input should be " + " or ".join(repr(a) for a in allowed), value)
    else:
        _check_bounds(_scalar(kind, value, path), bounds, path, value)


def _check_section(cls: type, value: object, path: tuple) -> None:
    if not isinstance(value, dict):
        _fail(path, "Input should be a table", value)
    fields = _fields(cls)
    known = {name for name, _, _ in fields}
    for key in value:
        if key not in known:
            _fail((*path, key), "unknown key")
    for name, kind, required in fields:
        if name in value:
            _check(kind, value[name], (*path, name))
        elif required:
            _fail((*path, name), "required key missing")


def _scalar(kind: type, value: object, path: tuple) -> object:
    """The value as the number it stands for (for bounds); refuses a wrong TOML type."""
    if kind is bool:
        if not isinstance(value, bool):
            _fail(path, "Input should be a valid boolean (true or false)", value)
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, "Input should be a valid integer", value)
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            _fail(path, "Input should be a valid number", value)
    elif kind in (str, Path):
        if not isinstance(value, str):
            _fail(path, "Input should be a valid string", value)
    elif kind is Decimal:
        return _decimal(value, path)
    elif kind is date:
        _date(value, path)
    else:  # a new field type must be taught here, or the two readings could disagree
        raise TypeError(f"config rule for {kind!r} at {_key(path)} missing")
    return value


def _decimal(value: object, path: tuple) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        _fail(path, "Input should be a valid decimal", value)
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        _fail(path, "Input should be a valid decimal", value)
    if not number.is_finite():
        _fail(path, "Input should be a finite number", value)
    return number


def _date(value: object, path: tuple) -> None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return
    if isinstance(value, str) and len(value) == 10:
        try:
            date.fromisoformat(value)
            return
        except ValueError:
            pass
    _fail(path, "Input should be a valid date YYYY-MM-DD", value)


def _check_bounds(number: object, bounds: list, path: tuple, value: object) -> None:
    for bound in bounds:
        if isinstance(bound, Min) and not number >= bound.bound:
            _fail(path, f"Input should be greater than or equal to {bound.bound:g}", value)
        if isinstance(bound, Above) and not number > bound.bound:
            _fail(path, f"Input should be greater than {bound.bound:g}", value)
        if isinstance(bound, Max) and not number <= bound.bound:
            _fail(path, f"Input should be less than or equal to {bound.bound:g}", value)
