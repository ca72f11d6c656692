"""The few config keys `check` needs, read with tomllib alone (no pydantic on the plugin's start-up path).

The whole file is still checked against the same rules the full reading applies first
(`rules.py`), so `check` accepts and refuses exactly the files every other command does.

The config file is --config, then $COSTTUI_CONFIG, then the user config dir (costtui.config finds it
with this module's resolve_config_path); the cache, as in costtui.config, is --cache, then
$COSTTUI_CACHE, then cache.path, then the user data dir."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from costtui import exitcodes
from costtui.config.stamp import already_validated
from costtui.model import CostError

APP_NAME = "costtui"
CONFIG_ENV = "COSTTUI_CONFIG"
CACHE_ENV = "COSTTUI_CACHE"
DEFAULT_MAX_AGE_HOURS = 36.0


class FastConfigError(CostError):
    """The config file cannot be read; the message names the file and key."""

    exit_code = exitcodes.USAGE


@dataclass(frozen=True, slots=True)
class FastConfig:
    cache_path: Path | None = None
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS
    demo_today: date | None = None


def resolve_config_path(explicit: str | os.PathLike | None) -> tuple[Path, bool]:
    """The config file to read, and whether the user named it (then it must exist)."""
    if explicit:
        return Path(explicit), True
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]), True
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml", False


def load_fast_config(explicit: str | os.PathLike | None = None) -> FastConfig:
    path, named = resolve_config_path(explicit)
    if not path.exists():
        if named:
            raise FastConfigError(f"{path}: config file not found")
        return FastConfig()
    try:
        content = path.read_bytes()
        data = tomllib.loads(content.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FastConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FastConfigError(f"{path}: cannot read: {exc}") from None
    if not already_validated(path, content):
        # The rules load the schema's dataclasses (~30 ms); bytes another command validated in
        # full (pydantic after these same rules) need not be checked again on every plugin run.
        from costtui.config.rules import RuleError, check_config

        try:
            check_config(data)
        except RuleError as exc:
            raise FastConfigError(f"{path}: {exc}") from None
    cache = data.get("cache", {})
    return FastConfig(
        cache_path=Path(cache["path"]) if "path" in cache else None,
        max_age_hours=float(cache.get("max_age_hours", DEFAULT_MAX_AGE_HOURS)),
        demo_today=_day(data.get("demo_today")),
    )


def resolve_cache_path(explicit: str | os.PathLike | None, config: FastConfig) -> Path:
    """Same order as costtui.config.resolve_cache_path."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if config.cache_path:
        return config.cache_path.expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "cache.duckdb"


def _day(value: date | str | None) -> date | None:
    """A checked demo_today: a TOML date or an ISO date string."""
    return date.fromisoformat(value) if isinstance(value, str) else value
