"""`R`: runs `costtui refresh` as a child process (the dashboard never imports providers), shows its
progress lines and the result, which lists the slices the refresh replaced as `costtui refresh`
prints them; the new snapshot is then picked up like any other."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from costtui.model import REPLACED

if TYPE_CHECKING:
    from costtui.tui.app import CostApp

SLICES_LISTED = 8  # a backfill replaces a slice per month and account: the notice lists the first ones


def result_text(outcome: str, lines: Sequence[str]) -> str:
    """`Refresh finished` and, one a line, the slices the refresh's lines say it replaced."""
    replaced = [line.removeprefix(REPLACED) for line in lines if line.startswith(REPLACED)]
    if not replaced:
        return outcome
    listed = replaced[:SLICES_LISTED]
    if len(replaced) > len(listed):
        listed.append(f"… and {len(replaced) - len(listed)} more")
    slices = "slice" if len(replaced) == 1 else "slices"
    return "\n".join([f"{outcome}; replaced {len(replaced)} {slices}:", *listed])


class RefreshRunner:
    def __init__(self, app: CostApp) -> None:
        self.app = app
        self.running = False

    def command(self) -> list[str]:
        argv = [sys.executable, "-m", "costtui"]
        if self.app.config_path is not None:
            argv += ["--config", str(self.app.config_path)]
        return [*argv, "--cache", str(self.app.cache_path), "refresh"]

    def start(self) -> None:
        if self.running:
            self.app.notify("A refresh is already running", timeout=3)
            return
        self.running = True
        self.app.notify("Refreshing: running `costtui refresh`…", title="Refresh", timeout=4)
        self.app.run_worker(self._run, thread=True, group="refresh", exit_on_error=False)

    def _run(self) -> None:
        app = self.app
        lines: list[str] = []
        try:
            process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       stdin=subprocess.DEVNULL, text=True)
            assert process.stderr is not None
            for line in process.stderr:
                line = line.rstrip()
                if line:
                    lines.append(line)
                    if not line.startswith(REPLACED):  # listed in the result notice
                        app.call_from_thread(app.notify, line, title="Refresh", timeout=3)
            code = process.wait()
        except OSError as error:
            code, lines = -1, [f"cannot start refresh: {error}"]
        finally:
            self.running = False
        if code == 0:
            app.call_from_thread(app.notify, result_text("Refresh finished", lines), title="Refresh", timeout=10)
            app.call_from_thread(app.reload_if_new_snapshot)
        else:  # some providers may have been published all the same
            reason = lines[-1] if lines else f"exit status {code}"
            app.call_from_thread(app.notify, result_text(f"Refresh failed: {reason}", lines), title="Refresh",
                                 severity="error", timeout=10)
            app.call_from_thread(app.reload_if_new_snapshot)
