"""The few config keys `check` needs, read with tomllib alone (no pydantic on the plugin's start-up path).

Resolution mirrors costtui.config: --config, then $COSTTUI_CONFIG, then the user config dir;
the cache is --cache, then $COSTTUI_CACHE, then cache.path, then the user data dir."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from costtui.model import CostError

APP_NAME = "costtui"
CONFIG_ENV = "COSTTUI_CONFIG"
CACHE_ENV = "COSTTUI_CACHE"
DEFAULT_MAX_AGE_HOURS = 36.0


class FastConfigError(CostError):
    """The config file cannot be read; the message names the file and key."""


@dataclass(frozen=True, slots=True)
class FastConfig:
    cache_path: Path | None = None
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS
    demo_today: date | None = None


def config_file(explicit: str | os.PathLike | None) -> tuple[Path, bool]:
    """The config file to read, and whether the user named it (then it must exist)."""
    if explicit:
        return Path(explicit), True
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]), True
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml", False


def load_fast_config(explicit: str | os.PathLike | None = None) -> FastConfig:
    path, named = config_file(explicit)
    if not path.exists():
        if named:
            raise FastConfigError(f"{path}: config file not found")
        return FastConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FastConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FastConfigError(f"{path}: cannot read: {exc}") from None
    cache = _table(data, "cache", path)
    return FastConfig(
        cache_path=_cache_path(cache.get("path"), path),
        max_age_hours=_max_age_hours(cache.get("max_age_hours", DEFAULT_MAX_AGE_HOURS), path),
        demo_today=_day(data.get("demo_today"), "demo_today", path),
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


def _table(data: dict, key: str, path: Path) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise FastConfigError(f"{path}: {key}: must be a table")
    return value


def _cache_path(value: object, path: Path) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise FastConfigError(f"{path}: cache.path: must be a file path (got {value!r})")
    return Path(value)


def _max_age_hours(value: object, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise FastConfigError(f"{path}: cache.max_age_hours: must be a number greater than 0 (got {value!r})")
    return float(value)


def _day(value: object, key: str, source: Path | str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise FastConfigError(f"{source}: {key}: must be a date YYYY-MM-DD (got {value!r})")
