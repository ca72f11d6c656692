"""Keep Python's full garbage collections off the keys' path.

A loaded range is hundreds of thousands of small objects (sums, Decimals, rows, drawn lines). Each
full (generation 2) collection walks all of them: 85-180 ms on 10M rows, landing on whichever key
happens to allocate at that moment (bench/tui_keys.py). Nothing in them is cyclic garbage while they
are shown, so once a range is loaded they are frozen (gc.freeze: left out of collections); a reload
unfreezes them, so what it replaces can be collected."""

from __future__ import annotations

import gc


def keep_loaded() -> None:
    """What is alive now stays out of the collector's walks."""
    gc.freeze()


def release_loaded() -> None:
    """Before a reload: the old range (and screens closed since) can be collected again."""
    gc.unfreeze()
