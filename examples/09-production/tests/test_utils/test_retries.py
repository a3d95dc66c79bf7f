"""Waiting at start-up: tries until the server answers, for a bounded time, and never a bug."""

import time

import pytest
from log_capture import JsonLogLines

from fast_api_template.utils.retries import wait_until_up

pytestmark = pytest.mark.anyio

# Pauses short enough that the tests do not wait.
PAUSE = 0.001


class Flaky:
    """A check that fails `failures` times with `error`, then passes."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error


async def test_it_waits_until_the_server_answers() -> None:
    check = Flaky(2, ConnectionRefusedError())

    with JsonLogLines() as log:
        await wait_until_up("database", check, errors=(OSError,), within=10, first_pause=PAUSE)

    assert check.calls == 3
    waits = log.events("waiting_for")
    assert [(line["service"], line["attempt"]) for line in waits] == [
        ("database", 1),
        ("database", 2),
    ]
    assert {line["error"] for line in waits} == {"ConnectionRefusedError"}


async def test_it_gives_up_after_the_bound_with_the_last_error() -> None:
    check = Flaky(10**6, ConnectionRefusedError("refused"))
    started = time.monotonic()

    with pytest.raises(ConnectionRefusedError, match="refused"):
        await wait_until_up("database", check, errors=(OSError,), within=0.2, first_pause=0.01)

    assert check.calls > 1
    # No new try starts after the bound (a generous margin, for a busy machine).
    assert time.monotonic() - started < 2


async def test_a_bug_is_raised_at_once() -> None:
    check = Flaky(10**6, ValueError("a bug, not a server that is starting"))

    with pytest.raises(ValueError, match="a bug"):
        await wait_until_up("database", check, errors=(OSError,), within=10, first_pause=PAUSE)

    assert check.calls == 1
