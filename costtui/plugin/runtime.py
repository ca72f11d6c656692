"""Plugin runtime for `check`: states, the one status line, the timeout, exit codes; every side effect here."""

from __future__ import annotations

import os
import signal
import sys
import threading
from enum import IntEnum

PLUGIN_NAME = "COSTTUI"


class State(IntEnum):
    """Monitoring Plugins states; the exit code is the value."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


def worst(states: list[State]) -> State:
    """The state a service shows when several values are checked (CRITICAL beats WARNING beats OK)."""
    return max(states, default=State.OK)


class Unknown(Exception):
    """The check cannot say OK, WARNING or CRITICAL; the message says why."""


class CheckTimeout(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception` swallows it."""


class Output:
    """Writes the plugin's answer exactly once, whether the main path, the alarm or the watchdog gets there first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._written = False

    def emit(self, text: str) -> bool:
        with self._lock:
            if self._written:
                return False
            self._written = True
        try:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
        except (OSError, ValueError):
            pass  # a closed stdout must not turn the answer into a traceback; the exit code still says it
        return True


def unknown_line(reason: str) -> str:
    return f"{PLUGIN_NAME} UNKNOWN - {reason}"


class Deadline:
    """The -t timeout. SIGALRM interrupts the main thread (a blocked open returns EINTR);
    a watchdog thread answers UNKNOWN and exits if the main thread still does not return."""

    GRACE_SECONDS = 1.0

    def __init__(self, seconds: float, output: Output) -> None:
        self.seconds = seconds
        self.output = output
        self.expired = False
        self._watchdog: threading.Timer | None = None
        self._previous_handler: object = signal.SIG_DFL

    def __enter__(self) -> Deadline:
        if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self._watchdog = threading.Timer(self.seconds + self.GRACE_SECONDS, self._on_watchdog)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous_handler)  # type: ignore[arg-type]
        if self._watchdog:
            self._watchdog.cancel()

    @property
    def message(self) -> str:
        return f"timed out after {self.seconds:g} s"

    def _on_alarm(self, signum: int, frame: object) -> None:
        self.expired = True
        raise CheckTimeout(self.message)

    def _on_watchdog(self) -> None:
        self.expired = True
        if self.output.emit(unknown_line(self.message)):
            os._exit(State.UNKNOWN)
