"""The ports of the servers that tests start stay inside TEST_PORT_RANGE, when it is set."""

import socket
from collections.abc import AsyncIterator

import pytest
from faults import FaultyProxy
from ports import (
    MAX_PORT,
    PORT_RANGE_VARIABLE,
    PortRangeError,
    free_port,
    port_range,
    worker_slice,
)

# Servers started in a row by one test, the most that a test of the stages asks for.
SERVERS = 8


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> range:
    """A range set as TEST_PORT_RANGE, outside pytest-xdist: the slice of this worker when
    the run has a range of its own, else 64 ports from one that is free now."""
    configured = port_range()
    if configured is None:
        low = min(free_port(), MAX_PORT - 63)
        ports = range(low, low + 64)
    else:
        ports = worker_slice(configured)
    if len(ports) < 2 * SERVERS:
        pytest.skip(f"{PORT_RANGE_VARIABLE} gives this worker fewer than {2 * SERVERS} ports")
    monkeypatch.setenv(PORT_RANGE_VARIABLE, f"{ports.start}-{ports.stop - 1}")
    # Each case sets the worker it needs.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    return ports


def test_every_port_is_in_the_range_and_none_is_given_twice(allowed: range) -> None:
    ports = [free_port() for _ in range(SERVERS)]

    assert all(port in allowed for port in ports), ports
    assert len(set(ports)) == SERVERS


def test_a_port_in_use_is_skipped(allowed: range) -> None:
    # All the range but a few ports, taken: one of those few is chosen. (Not all but one: on
    # a busy machine another process may hold a port of the range for a moment.)
    servers = [server for port in allowed[:-SERVERS] if (server := listening_on(port))]
    taken = {server.getsockname()[1] for server in servers}
    try:
        port = free_port()
    finally:
        for server in servers:
            server.close()

    assert port in allowed
    assert port not in taken


def listening_on(port: int) -> socket.socket | None:
    """A server on 127.0.0.1:`port`, or None when another process holds the port."""
    try:
        return socket.create_server(("127.0.0.1", port))
    except OSError:
        return None


def test_a_range_without_a_free_port_is_an_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        monkeypatch.setenv(PORT_RANGE_VARIABLE, f"{port}-{port}")
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)

        with pytest.raises(PortRangeError, match=PORT_RANGE_VARIABLE):
            free_port()


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_two_xdist_workers_never_share_a_port(count: int) -> None:
    ports = range(20000, 21000)
    workers = [
        {"PYTEST_XDIST_WORKER": f"gw{n}", "PYTEST_XDIST_WORKER_COUNT": str(count)}
        for n in range(count)
    ]
    slices = [worker_slice(ports, worker) for worker in workers]

    used = [port for part in slices for port in part]
    assert len(used) == len(set(used))
    assert set(used) <= set(ports)
    assert min(len(part) for part in slices) == len(ports) // count


def test_a_worker_picks_in_its_own_slice(allowed: range, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")

    ports = [free_port() for _ in range(SERVERS)]

    assert all(port in allowed[len(allowed) // 2 :] for port in ports), ports


def test_unset_or_empty_means_any_port() -> None:
    assert port_range({}) is None
    assert port_range({PORT_RANGE_VARIABLE: " "}) is None


@pytest.mark.parametrize(
    "value",
    ["20000", "abc", "20999-20000", "0-100", "60000-70000", "20000-", "-20999", "1e3-2e3"],
)
def test_a_bad_value_is_an_error_naming_the_variable(value: str) -> None:
    with pytest.raises(PortRangeError, match=PORT_RANGE_VARIABLE):
        port_range({PORT_RANGE_VARIABLE: value})


def test_a_range_smaller_than_the_workers_is_an_error_naming_the_variable() -> None:
    workers = {"PYTEST_XDIST_WORKER": "gw0", "PYTEST_XDIST_WORKER_COUNT": "2"}

    with pytest.raises(PortRangeError, match=PORT_RANGE_VARIABLE):
        worker_slice(range(20000, 20001), workers)


@pytest.fixture
async def proxy(allowed: range) -> AsyncIterator[FaultyProxy]:
    del allowed
    started = FaultyProxy("127.0.0.1", 9)  # where it forwards to does not matter here
    await started.start()
    yield started
    await started.close()


@pytest.mark.anyio
async def test_the_fault_proxy_listens_in_the_range(allowed: range, proxy: FaultyProxy) -> None:
    assert proxy.port in allowed
