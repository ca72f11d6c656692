"""Provider fetchers: one module per source, each normalising to cost rows.

Providers know nothing of the cache or the UI. Modules are imported lazily so that
a command pays only for the SDKs it uses."""

from costtui.providers.base import FetchContext, Provider, ProviderError

__all__ = ["FetchContext", "Provider", "ProviderError"]
