"""Throttling of logins and registrations with the async API of `limits`, in memory or Redis.

In memory, each process counts on its own: right for one process, and for tests. With several
workers or replicas the counters must be shared, or an attacker gets N attempts per process,
so a Redis URL in the settings moves them to Redis, where every process sees the same counts.

When the counters cannot be read (Redis is down or hung), the throttle fails closed: a login
is refused with 503 rather than let through uncounted, which would lift the limit exactly
when an attacker may have brought Redis down.
"""

import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from coredis.retry import NoRetryPolicy
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from fast_api_template.config import RedisSettings, SecuritySettings
from fast_api_template.core.errors import TooManyAttemptsError, UnavailableError

logger = logging.getLogger(__name__)

# When the counters cannot be read, a client should try again after this many seconds.
RETRY_AFTER_SECONDS: Final = 5


def create_storage(settings: RedisSettings) -> Storage:
    """Return Redis storage when a Redis URL is set, else storage in this process's memory."""
    if settings.url is None:
        return MemoryStorage()
    # coredis, the Redis client that `limits` drives, tries a command that timed out twice
    # more by default: a hung Redis would hold a login for three times `timeout`.
    one_attempt: dict[str, Any] = {"retry_policy": NoRetryPolicy()}
    # `limits` picks its asyncio implementations by the `async+` prefix of the scheme.
    return RedisStorage(
        f"async+{settings.url.get_secret_value()}",
        key_prefix=f"{settings.key_prefix}:limits",
        # Redis's own errors as one type, StorageError; and bounded waits, so that a hung
        # Redis costs a login `timeout` seconds, not minutes.
        wrap_exceptions=True,
        connect_timeout=settings.timeout,
        stream_timeout=settings.timeout,
        **one_attempt,
    )


# --8<-- [start:throttle]
class LoginThrottle:
    """Count failed logins per account and per address, and registrations per address.

    Failed logins per account, so that a password cannot be guessed from many addresses; per
    address, so that one address cannot try a common password against many accounts.
    Registrations per address, so that nobody can create accounts in bulk, or find out at
    speed which emails have an account (a registration says when an email is taken).

    Args:
        storage: Where the counters live.
        settings: How many attempts in what window (`login_*`, `registration_*`).

    """

    def __init__(self, storage: Storage, settings: SecuritySettings) -> None:
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._limit = RateLimitItemPerSecond(settings.login_attempts, settings.login_window_seconds)
        self._registrations = RateLimitItemPerSecond(
            settings.registration_attempts, settings.registration_window_seconds
        )

    @staticmethod
    def _account(email: str) -> tuple[str, ...]:
        return ("login", "account", email.casefold())

    @staticmethod
    def _address(address: str) -> tuple[str, ...]:
        return ("login", "address", address)

    async def check(self, email: str, address: str) -> None:
        """Refuse an attempt when the account or the address has no attempts left.

        Raises:
            TooManyAttemptsError: With the seconds until the oldest failure leaves the window.

        """
        async with _counters_available():
            for key in (self._account(email), self._address(address)):
                if not await self._limiter.test(self._limit, *key):
                    raise TooManyAttemptsError(await self._seconds_left(self._limit, key))

    async def failed(self, email: str, address: str) -> None:
        """Count one failed login against the account and the address."""
        async with _counters_available():
            for key in (self._account(email), self._address(address)):
                await self._limiter.hit(self._limit, *key)

    async def succeeded(self, email: str) -> None:
        """Forget the account's failures; the address keeps its count."""
        async with _counters_available():
            await self._limiter.clear(self._limit, *self._account(email))

    async def registration(self, address: str) -> None:
        """Count one registration from the address; refuse it when there were too many.

        Raises:
            TooManyAttemptsError: With the seconds until the oldest one leaves the window.

        """
        key = ("register", "address", address)
        async with _counters_available():
            if not await self._limiter.hit(self._registrations, *key):
                seconds = await self._seconds_left(self._registrations, key)
                raise TooManyAttemptsError(seconds, attempts="registrations")

    async def available(self) -> bool:
        """Whether the counters can be read now (always, in memory)."""
        try:
            return await self._storage.check()
        except (StorageError, OSError):
            return False

    async def reset(self) -> None:
        """Forget every count: for tests, or for an operator after an incident."""
        await self._storage.reset()

    async def _seconds_left(self, limit: RateLimitItem, key: tuple[str, ...]) -> int:
        stats = await self._limiter.get_window_stats(limit, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))


@asynccontextmanager
async def _counters_available() -> AsyncIterator[None]:
    """Turn a failure of the counters' storage into a 503, and log it in one line."""
    try:
        yield
    # OSError: the Redis client's connection errors, which `limits` does not always wrap.
    except (StorageError, OSError) as error:
        logger.warning("login counters unavailable: %s", type(error).__name__)
        raise UnavailableError(
            "Logins are paused: failed attempts cannot be counted. Try again shortly.",
            retry_after=RETRY_AFTER_SECONDS,
        ) from None


# --8<-- [end:throttle]
