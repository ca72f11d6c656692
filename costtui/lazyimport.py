"""Lazy re-exports for packages whose `__init__` would otherwise import every submodule.

`check` runs every few minutes for every monitored service, so its start-up matters: a package
that re-exports names through `lazy_exports` loads a submodule only when one of its names is
first used (PEP 562 module `__getattr__`)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package` that imports each name from its home submodule on first use."""

    def __getattr__(name: str) -> object:
        try:
            home = homes[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this hook
        return value

    return __getattr__
