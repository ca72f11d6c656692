"""Entry point for ``python -m costtui``."""

from costtui.cli import main

raise SystemExit(main())
