"""Ports for the servers that the kit's tests start, inside the range TEST_PORT_RANGE allows.

Shared CI hosts and firewalled machines often let tests listen on a range of ports only. Set
it, and every server that the kit's tests start listens inside it, and so do those of the
stage suites that the kit runs (`guide_kit.stage.environment` gives each run its own slice):

    TEST_PORT_RANGE=20000-20999 uv run pytest

Each stage has the same code, as `tests/ports.py`, for its own suite. Unset, the system picks
any free port. Under pytest-xdist, each worker takes its own slice of the range, so two
workers never pick the same port; inside its slice, a worker binds a port to know that it is
free, and moves on to the next one for its next server.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping

PORT_RANGE_VARIABLE = "TEST_PORT_RANGE"
MAX_PORT = 65535
_RANGE = re.compile(r"\s*(\d{1,5})\s*-\s*(\d{1,5})\s*")


class PortRangeError(ValueError):
    """TEST_PORT_RANGE is malformed, too small, or has no free port left."""


def port_range(environ: Mapping[str, str] = os.environ) -> range | None:
    """Return the ports that tests may listen on, from TEST_PORT_RANGE; None when unset.

    Raises:
        PortRangeError: The value is not `LOW-HIGH` with 1 <= LOW <= HIGH <= 65535.

    """
    value = environ.get(PORT_RANGE_VARIABLE, "")
    if not value.strip():
        return None
    match = _RANGE.fullmatch(value)
    low, high = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= low <= high <= MAX_PORT:
        raise PortRangeError(
            f"{PORT_RANGE_VARIABLE}={value!r}: expected LOW-HIGH, two ports from 1 to 65535 "
            "with LOW <= HIGH, such as 20000-20999"
        )
    return range(low, high + 1)


def worker_slice(ports: range, environ: Mapping[str, str] = os.environ) -> range:
    """Return the part of `ports` that this pytest-xdist worker uses (all, outside xdist).

    Worker `gwN` of `count` takes the N-th of `count` equal slices, so no two workers share
    a port.

    Raises:
        PortRangeError: The range has fewer ports than there are workers.

    """
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return ports
    index, count = int(worker[2:]), int(environ["PYTEST_XDIST_WORKER_COUNT"])
    size = len(ports) // count
    if size == 0:
        raise PortRangeError(
            f"{PORT_RANGE_VARIABLE}: {len(ports)} ports for {count} pytest-xdist workers; "
            "give each worker one port at least"
        )
    return ports[index * size : (index + 1) * size]


class _Cursor:
    """Where this process looks next in its slice of the range.

    First at an offset from the process id, so that two test runs that share a range start
    in different places; then past the last port given, so that two servers asked for in a
    row get two ports even before either listens.
    """

    offset: int | None = None


_cursor = _Cursor()


def bound_socket(host: str = "127.0.0.1") -> socket.socket:
    """Return a TCP socket bound to a free port of `host`, inside TEST_PORT_RANGE when set.

    Hand it to a server that accepts one (asyncio's `start_server(sock=...)`), which leaves
    no moment in which another process could take the port.

    Raises:
        PortRangeError: TEST_PORT_RANGE is malformed, or no port of it is free.

    """
    ports = port_range()
    if ports is None:
        return _bound(host, 0)
    candidates = worker_slice(ports)
    start = os.getpid() % len(candidates) if _cursor.offset is None else _cursor.offset
    for step in range(len(candidates)):
        offset = (start + step) % len(candidates)
        try:
            sock = _bound(host, candidates[offset])
        except OSError:
            continue  # in use: by another process, or by a server of this one
        _cursor.offset = offset + 1
        return sock
    raise PortRangeError(
        f"{PORT_RANGE_VARIABLE}: no free port in {candidates.start}-{candidates.stop - 1}"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port of `host` on which nothing listens now, inside TEST_PORT_RANGE.

    The port is inside TEST_PORT_RANGE when it is set. For a server that is started with a
    port number (a subprocess), which binds it soon after.

    Raises:
        PortRangeError: TEST_PORT_RANGE is malformed, or no port of it is free.

    """
    with bound_socket(host) as sock:
        port: int = sock.getsockname()[1]
        return port


def _bound(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As servers bind (asyncio's, uvicorn, HAProxy): a port whose last connections wait in
    # TIME_WAIT is free for them, and a server restarted on its port gets it back. A port
    # that a server listens on stays taken.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
