"""Login throttling with the async API of `limits`, in memory or in Redis.

In memory, each process counts on its own: right for one process, and for tests. With several
workers or replicas the counters must be shared, or an attacker gets N attempts per process,
so a Redis URL in the settings moves them to Redis, where every process sees the same counts.
"""

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from fast_api_template.config import RedisSettings, SecuritySettings
from fast_api_template.core.errors import TooManyAttemptsError


# --8<-- [start:storage]
def create_storage(settings: RedisSettings) -> Storage:
    """Return Redis storage when a Redis URL is set, else storage in this process's memory."""
    if settings.url is None:
        return MemoryStorage()
    # `limits` picks its asyncio implementations by the `async+` prefix of the scheme.
    return RedisStorage(
        f"async+{settings.url.get_secret_value()}", key_prefix=f"{settings.key_prefix}:limits"
    )


# --8<-- [end:storage]


# --8<-- [start:throttle]
class LoginThrottle:
    """Count failed logins per account and per client address, over a moving window.

    Per account, so that a password cannot be guessed from many addresses; per address, so
    that one address cannot try a common password against many accounts.

    Args:
        storage: Where the counters live.
        settings: How many failures (`login_attempts`) in what window (`login_window_seconds`).

    """

    def __init__(self, storage: Storage, settings: SecuritySettings) -> None:
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._limit = RateLimitItemPerSecond(settings.login_attempts, settings.login_window_seconds)

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
        for key in (self._account(email), self._address(address)):
            if not await self._limiter.test(self._limit, *key):
                stats = await self._limiter.get_window_stats(self._limit, *key)
                raise TooManyAttemptsError(max(1, math.ceil(stats.reset_time - time.time())))

    async def failed(self, email: str, address: str) -> None:
        """Count one failed login against the account and the address."""
        for key in (self._account(email), self._address(address)):
            await self._limiter.hit(self._limit, *key)

    async def succeeded(self, email: str) -> None:
        """Forget the account's failures; the address keeps its count."""
        await self._limiter.clear(self._limit, *self._account(email))

    async def reset(self) -> None:
        """Forget every count: for tests, or for an operator after an incident."""
        await self._storage.reset()


# --8<-- [end:throttle]
