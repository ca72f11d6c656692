"""Full validation of a config file with pydantic: types, bounds, unknown keys.

Imported only when a config file is new or has changed since it last validated
(pydantic costs ~80 ms to import and build; see `stamp.py`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from costtui.config.schema import Config


@cache
def config_adapter() -> TypeAdapter[Config]:
    return TypeAdapter(Config)


def validate(data: dict) -> Config:
    """The validated Config; ValueError with `key.path: what is wrong` otherwise."""
    try:
        return config_adapter().validate_python(data)
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc)) from None


def plain_dump(config: Config) -> dict[str, Any]:
    """JSON-safe values (dates and Decimals as strings) for the validated-config stamp."""
    return config_adapter().dump_python(config, mode="json")


def describe_validation_error(exc: ValidationError) -> str:
    """First problem as `key.path: what is wrong`, in the user's terms."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"]) or "<root>"
    kind = error["type"]
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        message = "unknown key"
    elif kind == "missing":
        message = "required key missing"
    else:
        message = error["msg"]
        if "input" in error and not isinstance(error["input"], (dict, list)):
            message += f" (got {error['input']!r})"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{key}: {message}{suffix}"
