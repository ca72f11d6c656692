"""The TOML configuration: where to find it, and reading it into validated dataclasses.

A new or edited file is validated in full by pydantic (`validation.py`); once it has
passed, later runs rebuild it from a stamp without importing pydantic (`stamp.py`),
which keeps read-only commands such as `costs` fast to start.

Importing this package is cheap: the names below load on first use (PEP 562), so `check`'s light
path (`config.fast`) does not pay for the schema's dataclasses when no config file exists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from costtui.lazyimport import lazy_exports

if TYPE_CHECKING:
    from costtui.config.loading import (
        ConfigError,
        load_config,
        parse_config,
        resolve_cache_path,
        resolve_config_path,
    )
    from costtui.config.schema import (
        AlertsConfig,
        AnomalyConfig,
        AwsConfig,
        AzureConfig,
        CacheConfig,
        Config,
        DisplayConfig,
        EmailConfig,
        ExportConfig,
        FocusConfig,
        GcpConfig,
        NotificationsConfig,
        ProvidersConfig,
        ServeConfig,
        ThresholdRule,
        WebhookConfig,
    )

__all__ = [
    "AlertsConfig",
    "AnomalyConfig",
    "AwsConfig",
    "AzureConfig",
    "CacheConfig",
    "Config",
    "ConfigError",
    "DisplayConfig",
    "EmailConfig",
    "ExportConfig",
    "FocusConfig",
    "GcpConfig",
    "NotificationsConfig",
    "ProvidersConfig",
    "ServeConfig",
    "ThresholdRule",
    "WebhookConfig",
    "load_config",
    "parse_config",
    "resolve_cache_path",
    "resolve_config_path",
]

__getattr__ = lazy_exports(
    __name__,
    {name: "costtui.config.schema" for name in __all__}
    | {name: "costtui.config.loading" for name in ("ConfigError", "load_config", "parse_config", "resolve_cache_path", "resolve_config_path")},
)
