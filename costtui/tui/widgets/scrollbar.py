"""Scroll bars drawn from a memo.

Textual's ScrollBarRender builds a new Style with mouse metadata for every segment of every bar on
every repaint; hashing those when Textual applies the widget's style cost ~45 ms a repaint of one
table's bar (bench/tui_keys.py: 90 of the 260 ms of showing the Services tab). The same bar
(size, position, colours) is the same segments: reusing them makes their styles' hashes cached."""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color
from rich.segment import Segments
from textual.scrollbar import ScrollBar, ScrollBarRender

BACK = Color.parse("#555555")
BAR = Color.parse("bright_magenta")


class MemoScrollBarRender(ScrollBarRender):
    @classmethod
    def render_bar(cls, size: int = 25, virtual_size: float = 50, window_size: float = 20, position: float = 0,
                   thickness: int = 1, vertical: bool = True, back_color: Color = BACK,
                   bar_color: Color = BAR) -> Segments:
        return _bar(size, virtual_size, window_size, position, thickness, vertical, back_color, bar_color)


@lru_cache(maxsize=256)
def _bar(size: int, virtual_size: float, window_size: float, position: float, thickness: int, vertical: bool,
         back_color: Color, bar_color: Color) -> Segments:
    return ScrollBarRender.render_bar(size, virtual_size, window_size, position, thickness, vertical, back_color,
                                      bar_color)


def use_memo_scroll_bars() -> None:
    """Every scroll bar of the app draws through the memo (Textual's documented hook)."""
    ScrollBar.renderer = MemoScrollBarRender
