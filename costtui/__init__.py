"""costtui: a multi-cloud cost monitor for the terminal and for headless servers."""

__version__ = "0.1.0"
