"""The cache of hot reads, with cashews: in this process's memory, or in Redis.

In memory, each process caches on its own: right for one process, and for tests. With several
workers or replicas, a write in one process must invalidate what the others cached, so a Redis
URL in the settings moves the cache to Redis, which every process shares.

A cache is an optimisation, never a dependency: when Redis does not answer, a read is a miss
and goes to the database, and the service stays up. After a failure the cache is skipped for a
while, so that a hung Redis costs one wait of `redis.timeout`, not one per call of every request.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from cashews import Cache, Command
from cashews.backends.interface import Backend
from cashews.exceptions import CacheBackendInteractionError
from redis.exceptions import RedisError

from fast_api_template.config import Settings

logger = logging.getLogger(__name__)

# Entries of a process's own memory: a bound, so that a cache cannot grow until it fails.
MEMORY_ENTRIES: Final = 10_000
# After Redis fails to answer, every call skips the cache for this long, then tries it again.
PAUSE_SECONDS: Final = 10.0


# --8<-- [start:create_cache]
def create_cache(settings: Settings) -> Cache:
    """Return a cache in Redis when a Redis URL is set, else in this process's memory.

    With `cache.enabled` off, the cache keeps nothing: every read is a miss.
    """
    cache = Cache()
    if not settings.cache.enabled:
        _switch_off(cache)
        return cache
    if settings.redis.url is None:
        cache.setup("mem://", size=MEMORY_ENTRIES)
        return cache
    cache.setup(
        settings.redis.url.get_secret_value(),
        # A Redis error is a cache miss, not an error of the request: the breaker turns it
        # into one, and skips Redis for a while after (cashews' own `suppress` would ask it
        # again on every call).
        middlewares=(Breaker(),),
        suppress=False,
        socket_connect_timeout=settings.redis.timeout,
        socket_timeout=settings.redis.timeout,
        # Values are pickled: signed with a key of the service, so that whoever can write to
        # Redis cannot make a process unpickle what they like.
        secret=settings.security.secret_key.get_secret_value(),
        digestmod="sha256",
    )
    return cache


# --8<-- [end:create_cache]


def _switch_off(cache: Cache) -> None:
    # cashews' own switch, `setup(..., disable=True)`, is a context variable: it holds in the
    # task that sets the cache up (the lifespan), not in the tasks that serve the requests. A
    # backend that is off by default is off in every task.
    backend = cache.setup("mem://", size=1)
    backend.enable_by_default = False


# --8<-- [start:breaker]
class Breaker:
    """A cashews middleware: a failed call to Redis is a miss, and opens the breaker.

    While it is open, no call reaches Redis: each answers at once as a miss would. The first
    call after `pause_seconds` tries Redis again.
    """

    def __init__(self, pause_seconds: float = PAUSE_SECONDS) -> None:
        self.pause_seconds = pause_seconds
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        """Whether calls skip Redis now."""
        return time.monotonic() < self._open_until

    async def __call__(
        self,
        call: Callable[..., Awaitable[Any]],
        cmd: Command,
        backend: Backend,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Run one cache command, or answer it as a miss."""
        del backend  # one breaker per cache, whichever backend cashews passes
        if self.is_open:
            return as_a_miss(cmd, kwargs)
        try:
            return await call(*args, **kwargs)
        # cashews wraps the Redis client's errors in CacheBackendInteractionError; OSError: a
        # refused or reset connection that neither wrapped.
        except (CacheBackendInteractionError, RedisError, OSError) as error:
            self._open_until = time.monotonic() + self.pause_seconds
            # One line per outage, not a traceback per request.
            logger.warning(
                "cache unavailable for %.0f s: %s", self.pause_seconds, type(error).__name__
            )
            return as_a_miss(cmd, kwargs)


def as_a_miss(cmd: Command, kwargs: dict[str, Any]) -> Any:
    """Answer a command as an empty cache would, so that the caller goes to the database."""
    if cmd is Command.GET:
        return kwargs.get("default")
    if cmd is Command.SET_LOCK:
        return True  # each request fills the entry for itself, as with no lock
    if cmd in {Command.SET, Command.EXISTS, Command.IS_LOCKED}:
        return False
    return None


# --8<-- [end:breaker]
