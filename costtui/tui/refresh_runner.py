"""`R`: runs `costtui refresh` as a child process (the dashboard never imports providers), shows its
progress lines and the result; the new snapshot is then picked up like any other."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costtui.tui.app import CostApp


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
                    app.call_from_thread(app.notify, line, title="Refresh", timeout=3)
            code = process.wait()
        except OSError as error:
            code, lines = -1, [f"cannot start refresh: {error}"]
        finally:
            self.running = False
        if code == 0:
            app.call_from_thread(app.notify, "Refresh finished", title="Refresh", timeout=5)
            app.call_from_thread(app.reload_if_new_snapshot)
        else:
            reason = lines[-1] if lines else f"exit status {code}"
            app.call_from_thread(app.notify, f"Refresh failed: {reason}", title="Refresh", severity="error",
                                 timeout=10)
