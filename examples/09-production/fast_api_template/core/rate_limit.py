"""Throttling of logins and registrations with the storage of `limits`, in memory or Redis.

In memory, each process counts on its own: right for one process, and for tests. With several
workers or replicas the counters must be shared, or an attacker gets N attempts per process,
so a Redis URL in the settings moves them to Redis, where every process sees the same counts.

When the counters cannot be read (Redis is down or hung), the throttle fails closed: a login
is refused with 503 rather than let through uncounted, which would lift the limit exactly
when an attacker may have brought Redis down.
"""

import ipaddress
import logging
import math
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Final

from coredis.retry import NoRetryPolicy
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from fast_api_template.config import RedisSettings, SecuritySettings
from fast_api_template.core.audit import SecurityEvent, record
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
    """Count logins per account and address, and registrations per address, before the work.

    Three counters bound the guesses at a password, each in its own window:

    - per account and address: the owner's typos, or one stranger guessing at one account;
    - per address, on any account: one address trying a common password on many accounts;
    - per account, from any address: many addresses guessing at one account.

    An attempt is counted *before* the password is checked, with an atomic increment, so a
    burst of concurrent guesses cannot all pass while the first ones are still hashing (and
    a refused guess costs no hash); a success takes its own count back. A window starts at
    its counter's first attempt, so up to twice a limit can fall within one window's length
    across two windows. A stranger who fails from their address locks only
    their own pair (account, address): the owner, from another address, still logs in, until
    the per-account bound (far above the pair's) is reached. An IPv6 client counts by its
    /64 network, which one host usually owns whole.

    Args:
        storage: Where the counters live.
        settings: How many attempts in what window (`login_*`, `registration_*`).

    """

    def __init__(self, storage: Storage, settings: SecuritySettings) -> None:
        self._storage = storage
        self._window = settings.login_window_seconds
        self._limits = {
            "pair": settings.login_attempts,
            "address": settings.login_address_attempts,
            "account": settings.login_account_attempts,
        }
        self._registrations = MovingWindowRateLimiter(storage)
        self._registration_limit = RateLimitItemPerSecond(
            settings.registration_attempts, settings.registration_window_seconds
        )

    def _keys(self, email: str, address: str) -> dict[str, str]:
        account, network = email.casefold(), client_network(address)
        return {
            "pair": f"login/pair/{account}/{network}",
            "address": f"login/address/{network}",
            "account": f"login/account/{account}",
        }

    async def attempt(self, email: str, address: str) -> None:
        """Count one login attempt, before the password is checked; refuse it when over a limit.

        The counters are taken one at a time, the narrowest first, and the first one over
        its limit refuses the attempt: a stranger hammering one account from one address
        spends only that pair's count, not the account's or the address's.

        Raises:
            TooManyAttemptsError: With the seconds until the counter that refused it resets.

        """
        keys = self._keys(email, address)
        async with _counters_available():
            for kind, key in keys.items():
                # An atomic increment: of many concurrent attempts, exactly `limit` pass.
                if await self._storage.incr(key, self._window) > self._limits[kind]:
                    seconds = await self._seconds_left(key)
                    record(
                        SecurityEvent.LOGIN_THROTTLED, reason=f"limit per {kind}", address=address
                    )
                    raise TooManyAttemptsError(seconds)

    async def succeeded(self, email: str, address: str) -> None:
        """Take a successful attempt's counts back, and forget the pair's failures."""
        keys = self._keys(email, address)
        async with _counters_available():
            await self._take_back([keys["address"], keys["account"]])
            await self._storage.clear(keys["pair"])

    # --8<-- [end:throttle]

    async def registration(self, address: str) -> None:
        """Count one registration from the address; refuse it when there were too many.

        Raises:
            TooManyAttemptsError: With the seconds until the oldest one leaves the window.

        """
        key = ("register", "address", client_network(address))
        limit = self._registration_limit
        async with _counters_available():
            if not await self._registrations.hit(limit, *key):
                stats = await self._registrations.get_window_stats(limit, *key)
                seconds = max(1, math.ceil(stats.reset_time - time.time()))
                record(
                    SecurityEvent.REGISTRATION_THROTTLED,
                    reason="limit per address",
                    address=address,
                )
                raise TooManyAttemptsError(seconds, attempts="registrations")

    async def available(self) -> bool:
        """Whether the counters can be read now (always, in memory)."""
        try:
            return await self._storage.check()
        except (StorageError, OSError):
            return False

    async def lift(self, *, email: str | None = None, address: str | None = None) -> None:
        """Lift the login limits of an account, of an address, or of both as a pair.

        For an operator, when a limit locks out people who share an address (an office, a
        NAT) or an account that a stranger tried: see `fast_api_template.admin`.
        """
        keys = self._keys(email or "", address or "")
        if email and address:
            chosen = [keys["pair"]]
        elif email:
            chosen = [keys["account"]]
        elif address:
            chosen = [keys["address"]]
        else:
            chosen = []
        async with _counters_available():
            for key in chosen:
                await self._storage.clear(key)

    async def reset(self) -> None:
        """Forget every count: for tests, or for an operator after an incident."""
        await self._storage.reset()

    async def _take_back(self, keys: Iterable[str]) -> None:
        for key in keys:
            # limits' storages have no decrement for Redis; an increment by -1 is one.
            await self._storage.incr(key, self._window, amount=-1)

    async def _seconds_left(self, key: str) -> int:
        return max(1, math.ceil(await self._storage.get_expiry(key) - time.time()))


def client_network(address: str) -> str:
    """Return what a client is counted by: its IPv4 address, or its IPv6 /64 network.

    One host usually holds a whole IPv6 /64, so counting single IPv6 addresses would give
    it 2**64 budgets. An IPv4 address mapped into IPv6 counts as the IPv4 address. Anything
    that is not an address (a test client's name) counts as itself.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


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
