"""Global options shared by every command: config and cache, resolved once, lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

from costtui.config import Config, load_config, resolve_cache_path

if TYPE_CHECKING:
    from costtui.cache.stored import StoredAnswer


@dataclass
class AppContext:
    config_option: str | None
    cache_option: str | None
    _today: date | None = field(default=None)

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_option)

    @cached_property
    def cache_path(self) -> Path:
        return resolve_cache_path(self.cache_option, self.config)

    @property
    def today(self) -> date:
        from costtui.core.today import resolve_today

        return self._today or resolve_today(self.config.demo_today)

    def stored_answers(self) -> tuple[StoredAnswer, ...]:
        """What a publish (refresh, import, demo) computes once and stores for readers: the default
        /metrics cost gauges of this config (cache/stored.py), so every `serve` process and replica
        answers the first scrape after the publish from the snapshot."""
        from costtui.exporters.prometheus import stored_metrics

        config = self.config
        return (stored_metrics(self.today, config.export.top_services_per_account, config.display.metric,
                               config.display.gross, config.export.tag_labels),)


pass_app = click.make_pass_decorator(AppContext)

rebuild_option = click.option(
    "--rebuild",
    is_flag=True,
    help="Set the current cache aside (kept as <cache>.set-aside-<time>) and start a new one: "
    "the way out of a corrupt cache.",
)
