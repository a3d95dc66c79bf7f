"""Waiting, at start-up, for a server that is not up yet: tries spaced out, for a bounded time.

A platform starts everything at once, so a process that cannot work without another (the
migrations without the database, a worker without Redis) may start first. It waits, then
fails with the last error, and the platform restarts it or someone reads why.

Only at start-up, and only for the errors that say "not up yet": anything else is a bug, and
fails at once. A request never waits like this: it answers 503 and lets the client decide.
"""

from collections.abc import Awaitable, Callable
from typing import Final

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_before_delay,
    wait_exponential_jitter,
)

logger = structlog.stdlib.get_logger(__name__)

STARTUP_WAIT_SECONDS: Final = 30.0
"""How long a process waits at start-up for a server it needs, before it gives up."""
# The longest pause between two tries, however long the wait.
MAX_PAUSE_SECONDS: Final = 5.0


# --8<-- [start:wait_until_up]
async def wait_until_up(
    what: str,
    check: Callable[[], Awaitable[object]],
    *,
    errors: tuple[type[BaseException], ...],
    within: float = STARTUP_WAIT_SECONDS,
    first_pause: float = 0.5,
) -> None:
    """Call `check` until it passes, pausing longer after each failure, for `within` s at most.

    Args:
        what: What is waited for, for the log: "database", "redis".
        check: Touches the server once, e.g. `SELECT 1`.
        errors: The failures that mean "not up yet". Any other one is raised at once.
        within: Seconds after which no new try starts.
        first_pause: Seconds after the first failure, at most a tenth of `within`; each
            next pause doubles, up to `MAX_PAUSE_SECONDS`, plus a random part so that
            processes do not try in step.

    Raises:
        BaseException: The last of `errors`, as raised, when `check` still failed after
            `within` seconds.

    """
    first_pause = min(first_pause, within / 10)  # a short wait still tries a few times
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(errors),
        wait=wait_exponential_jitter(
            multiplier=first_pause, max=MAX_PAUSE_SECONDS, jitter=first_pause
        ),
        stop=stop_before_delay(within),
        before_sleep=_log_pause(what),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await check()


# --8<-- [end:wait_until_up]


def _log_pause(what: str) -> Callable[[RetryCallState], None]:
    def log(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "waiting_for",
            service=what,
            error=type(error).__name__,
            attempt=state.attempt_number,
            pause_seconds=round(pause, 2),
        )

    return log
