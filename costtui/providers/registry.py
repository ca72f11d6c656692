"""Builds the enabled providers from config, importing each SDK only when used."""

from __future__ import annotations

from collections.abc import Sequence

from costtui.config import Config
from costtui.providers.base import Provider, ProviderError

PROVIDER_NAMES = ("aws", "azure", "gcp", "focus")


def enabled_names(config: Config) -> list[str]:
    return [name for name in PROVIDER_NAMES if getattr(config.providers, name).enabled]


def build_provider(name: str, config: Config) -> Provider:
    """One provider from its config section; SDK modules are imported here, lazily."""
    section = getattr(config.providers, name)
    if name == "aws":
        if section.source == "data_exports":
            from costtui.providers.aws.data_exports import AwsDataExportsProvider

            return AwsDataExportsProvider(section)
        from costtui.providers.aws.cost_explorer import AwsCostExplorerProvider

        return AwsCostExplorerProvider(section)
    if name == "azure":
        from costtui.providers.azure.exports import AzureExportsProvider

        return AzureExportsProvider(section)
    if name == "gcp":
        from costtui.providers.gcp import GcpBillingExportProvider

        return GcpBillingExportProvider(section)
    if name == "focus":
        from costtui.providers.focus_files import FocusFilesProvider

        return FocusFilesProvider(section.paths, section.timeout_seconds)
    raise ProviderError(f"unknown provider {name!r}; choose from {', '.join(PROVIDER_NAMES)}")


def build_providers(config: Config, names: Sequence[str] = ()) -> list[Provider]:
    """The providers asked for (default: every enabled one)."""
    chosen = list(names) or enabled_names(config)
    for name in chosen:
        if name not in PROVIDER_NAMES:
            raise ProviderError(f"unknown provider {name!r}; choose from {', '.join(PROVIDER_NAMES)}")
    return [build_provider(name, config) for name in chosen]
