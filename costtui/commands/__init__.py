"""The click command tree; each command group lives in its own module."""

from costtui.commands.root import cli

__all__ = ["cli"]
