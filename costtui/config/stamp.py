"""Remember that a config file passed validation, so later runs read it without pydantic.

A stamp is a small JSON file in the user cache dir, one per config path: the sha256 of
the file's bytes, a fingerprint of the schema (costtui's version and the schema source),
and pydantic's normalised dump of the validated config. A run whose file bytes and schema
both match rebuilds the dataclasses from that dump; anything else (an edited file, a new
costtui, a missing, unreadable or corrupt stamp) falls back to full validation, which then
writes a fresh stamp. So every file is validated by pydantic before it is trusted."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import types
import typing
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

if typing.TYPE_CHECKING:
    from costtui.config import schema

APP_NAME = "costtui"
SCHEMA_SOURCE = Path(__file__).with_name("schema.py")
CONVERTERS: dict[Any, Any] = {date: date.fromisoformat, Path: Path, Decimal: Decimal, float: float}


def stamp_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME)) / "validated-config"


def stamp_file(config_path: Path) -> Path:
    key = hashlib.sha256(str(config_path.resolve()).encode()).hexdigest()[:32]
    return stamp_dir() / f"{key}.json"


@cache
def schema_fingerprint() -> str:
    from costtui import __version__

    source = SCHEMA_SOURCE.read_bytes()  # the file, not the module: `check` never imports it
    return hashlib.sha256(__version__.encode() + b"\0" + source).hexdigest()


def _matching_stamp(config_path: Path, content: bytes) -> dict[str, Any] | None:
    """The stamp written when these exact bytes last validated under this schema, or None."""
    try:
        stamp = json.loads(stamp_file(config_path).read_bytes())
        if stamp["schema"] != schema_fingerprint() or stamp["source_sha256"] != hashlib.sha256(content).hexdigest():
            return None
        return stamp
    except (OSError, ValueError, KeyError, TypeError):
        return None


def already_validated(config_path: Path, content: bytes) -> bool:
    """Whether these exact bytes passed full validation under this schema (so `check` may skip its rules)."""
    return _matching_stamp(config_path, content) is not None


def read_stamp(config_path: Path, content: bytes) -> schema.Config | None:
    """The config stored when these exact bytes last validated, or None."""
    from costtui.config import schema

    stamp = _matching_stamp(config_path, content)
    if stamp is None:
        return None
    try:
        return from_plain(schema.Config, stamp["config"])
    except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
        return None  # no usable stamp: validate in full


def write_stamp(config_path: Path, content: bytes, dump: dict[str, Any]) -> None:
    """Best effort: a read-only home just means validating every time."""
    stamp = {
        "schema": schema_fingerprint(),
        "source_sha256": hashlib.sha256(content).hexdigest(),
        "source": str(config_path),
        "config": dump,
    }
    target = stamp_file(config_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        import tempfile  # only when writing: `check` reads stamps on every run

        # Private (0600 via mkstemp), complete before it is visible (os.replace).
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".stamp-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(stamp, out)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


@cache
def field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_plain(kind: Any, value: Any) -> Any:
    """Rebuild a value of `kind` from its JSON dump (already validated: only types change)."""
    if value is None:
        return None
    if dataclasses.is_dataclass(kind):
        hints = field_types(kind)
        return kind(**{name: from_plain(hints[name], item) for name, item in value.items()})
    origin = typing.get_origin(kind)
    arguments = typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [a for a in arguments if a is not type(None)]
        return from_plain(inner, value)
    if origin is list:
        return [from_plain(arguments[0], item) for item in value]
    if origin is tuple:  # tuple[X, ...]
        return tuple(from_plain(arguments[0], item) for item in value)
    if origin is dict:
        return {key: from_plain(arguments[1], item) for key, item in value.items()}
    return CONVERTERS.get(kind, lambda plain: plain)(value)
