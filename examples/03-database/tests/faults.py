"""A TCP proxy in front of a real server, which a test can break on purpose.

Point the app at the proxy instead of the server, then switch its mode:

- `"pass"`: bytes flow both ways, as if the proxy were not there;
- `"refuse"`: the port is closed and open connections are cut, as when the server is down;
- `"hang"`: connections are accepted and every byte is swallowed, as when the server (or the
  network) stops answering without closing anything.

It runs on the test's own event loop, so the test needs no thread and no extra process.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Literal

from ports import bound_socket
from sqlalchemy.engine import make_url

Mode = Literal["pass", "refuse", "hang"]
_CHUNK = 65536


class FaultyProxy:
    """Forward TCP connections to `target_host:target_port`, until told to fail."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "pass"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1 (the same port again after `refuse`).

        The first port is inside TEST_PORT_RANGE when it is set (tests/ports.py).
        """
        if self.port:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
            return
        self._server = await asyncio.start_server(self._accept, sock=bound_socket())
        self.port = self._server.sockets[0].getsockname()[1]

    async def set_mode(self, mode: Mode) -> None:
        """Switch to `mode`; `refuse` also closes the port and every open connection."""
        self.mode = mode
        if mode == "refuse":
            await self._stop_listening()
            self._cut_connections()
            return
        if mode == "hang":
            self._cut_forwarding()
        if self._server is None:
            await self.start()

    def url(self, url: str) -> str:
        """Rewrite a database URL to go through this proxy."""
        return (
            make_url(url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    async def close(self) -> None:
        """Stop listening and cut everything."""
        await self._stop_listening()
        self._cut_connections()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _hang(self) -> None:
        # Keep the socket open and never answer, until the proxy closes.
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        # Cancelled when the proxy closes: end quietly, since asyncio (3.11) would report a
        # connection handler that ends cancelled as an error.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()

    def _cut_connections(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def _cut_forwarding(self) -> None:
        # The sockets stay open; only the copying stops, so the client waits for an answer.
        for task in list(self._tasks):
            task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.mode == "hang":
            await self._hang()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.add(upstream_writer)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(_copy(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await source.read(_CHUNK):
            sink.write(data)
            await sink.drain()
    sink.close()


@contextlib.asynccontextmanager
async def faulty_proxy(url: str) -> AsyncIterator[FaultyProxy]:
    """Run a `FaultyProxy` in front of the server that a database URL names."""
    parsed = make_url(url)
    proxy = FaultyProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
