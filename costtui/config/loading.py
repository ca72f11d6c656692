"""Reading the TOML configuration into validated dataclasses: where the file is, a stamp for
files already validated, pydantic for new or edited ones. Re-exported by `costtui.config`."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from costtui import exitcodes
from costtui.config.fast import APP_NAME, CACHE_ENV, resolve_config_path
from costtui.config.schema import Config
from costtui.model import CostError


class ConfigError(CostError):
    """The config file cannot be used; the message names the file and key."""

    exit_code = exitcodes.USAGE


def default_cache_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "cache.duckdb"


def resolve_cache_path(explicit: str | os.PathLike | None, config: Config) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if config.cache.path:
        return Path(config.cache.path).expanduser()
    return default_cache_path()


def load_config(explicit: str | os.PathLike | None = None) -> Config:
    """Read and validate the config; a missing default file means defaults."""
    from costtui.config.stamp import read_stamp, write_stamp

    path, named = resolve_config_path(explicit)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        if named:
            raise ConfigError(f"{path}: config file not found") from None
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    stamped = read_stamp(path, content)
    if stamped is not None:
        return stamped
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    config = parse_config(data, path)
    from costtui.config.validation import plain_dump

    write_stamp(path, content, plain_dump(config))
    return config


def parse_config(data: dict, source: Path | str = "<config>") -> Config:
    """Validate TOML data in full: the shared rules (`rules.py`, which `check` runs too),
    then pydantic builds the objects; ConfigError naming source and key otherwise."""
    from costtui.config.rules import check_config
    from costtui.config.validation import validate

    try:
        check_config(data)
        return validate(data)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
