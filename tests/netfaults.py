"""Network faults on loopback for the provider tests: a black-holed port, a slow proxy that can be cut, a healthy neighbour."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path


@contextmanager
def black_hole() -> Iterator[int]:
    """A port that accepts connections and never answers (a firewall dropping replies, a hung server)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for connection in held:
            connection.close()
        server.close()


class SlowProxy:
    """Forwards 127.0.0.1:port to an upstream port, answers slowed to `rate` bytes a second,
    so a test can stop the upstream server in the middle of a download. Counts bytes answered."""

    def __init__(self, upstream: int, rate: int = 2_000_000) -> None:
        self.upstream = upstream
        self.rate = rate
        self.answered = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def port(self) -> int:
        return self._server.getsockname()[1]

    def wait_for(self, answered: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.answered < answered:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.answered} bytes answered through the proxy")
            time.sleep(0.01)

    def close(self) -> None:
        self._stop.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client = self._server.accept()[0]
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.socket()
                # A small window: what the server sent before it died is not all buffered on the way.
                upstream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
                upstream.settimeout(2)
                upstream.connect(("127.0.0.1", self.upstream))
            except OSError:
                upstream.close()
                client.close()  # the server behind is gone: as a dead server would, refuse
                continue
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, slow: bool) -> None:
        source.settimeout(None)
        try:
            while not self._stop.is_set():
                data = source.recv(1024 if slow else 65536)  # small steps: answers really trickle
                if not data:
                    break
                target.sendall(data)
                if slow:
                    self.answered += len(data)
                    time.sleep(len(data) / self.rate)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()


class HealthyProvider:
    """A provider that always answers one day of costs at once (the others in a refresh with a dead one)."""

    source = "test"

    def __init__(self, name: str = "focus") -> None:
        from costtui.providers.base import RefreshPolicy

        self.name = name
        self.policy = RefreshPolicy()

    def check_auth(self) -> None:
        return None

    def fetch(self, context):
        from costtui.model import FetchResult, ReplaceScope
        from tests.cachefactory import row

        rows = [row(context.end, provider=self.name, cost="42.00")]
        return FetchResult(self.name, [ReplaceScope(self.name, context.end, context.end)], rows, api_calls=1)


def refresh_beside_a_healthy_provider(provider, cache_path: Path, today: date = date(2026, 11, 15)):
    """Refresh `provider` with a healthy one; assert the healthy one was published; return the
    provider's recorded fetch and how long the refresh took."""
    from costtui.cache import CacheReader
    from costtui.model import CostQuery
    from costtui.refresh import RefreshOptions, run_refresh

    began = time.monotonic()
    run_refresh([HealthyProvider(), provider], cache_path, RefreshOptions(today=today, days=3))
    elapsed = time.monotonic() - began
    with CacheReader(cache_path).session() as queries:
        fetches = {f.provider: f for f in queries.latest_fetches()}
        assert queries.totals(CostQuery(providers=("focus",))) == {"USD": 42}, "the healthy provider is published"
    return fetches[provider.name], elapsed


def refresh_while_the_server_dies(
    provider, cache_path: Path, server, proxy: SlowProxy, answered: int, join_seconds: float = 60
):
    """Refresh `provider` (beside a healthy one) in a thread; once `answered` bytes have come back
    through `proxy`, stop `server` (its Popen). Returns the provider's recorded fetch and the seconds
    from the stop until the refresh gave the provider up."""
    outcome: dict = {}
    worker = threading.Thread(
        target=lambda: outcome.update(result=refresh_beside_a_healthy_provider(provider, cache_path)), daemon=True
    )
    worker.start()
    proxy.wait_for(answered)  # the fetch is under way
    server.terminate()
    server.wait(10)
    stopped = time.monotonic()
    worker.join(join_seconds)
    after_stop = time.monotonic() - stopped
    assert not worker.is_alive(), f"the refresh still runs {join_seconds:g} s after the server stopped"
    fetch, _ = outcome["result"]
    return fetch, after_stop
