"""The cache of hot reads, with cashews: in this process's memory, or in Redis.

In memory, each process caches on its own: right for one process, and for tests. With several
workers or replicas, a write in one process must invalidate what the others cached, so a Redis
URL in the settings moves the cache to Redis, which every process shares.

A cache is an optimisation, never a dependency: when Redis does not answer, a read is a miss
and goes to the database, and the service stays up. After a failure the cache is skipped for a
while, so that a hung Redis costs one wait of `redis.timeout`, not one per call of every request.

Nor is what it holds trusted: whoever can write to Redis can put any bytes under any key. So
the cache holds JSON, which is data and never code (no pickle, whatever signs it), and a value
is read back only when it has the shape that its reader expects (`JsonEntries`); anything else
is a miss.
"""

import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Final, Generic, TypeVar

from cashews import Cache, Command
from cashews.backends.interface import Backend
from cashews.exceptions import CacheBackendInteractionError
from cashews.picklers import PicklerType
from pydantic import TypeAdapter, ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from fast_api_template.config import Settings

logger = logging.getLogger(__name__)

# Entries of a process's own memory: a bound, so that a cache cannot grow until it fails.
MEMORY_ENTRIES: Final = 10_000
# After Redis fails to answer, every call skips the cache for this long, then tries it again.
PAUSE_SECONDS: Final = 10.0
# cashews stores bytes as they are, behind this tag of its own, and reads back the same bytes.
# Without a `secret`, its "null" pickler never unpickles: what it does not know is a miss.
DATA_ONLY: Final = PicklerType.NULL

ValueT = TypeVar("ValueT")


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
        cache.setup("mem://", size=MEMORY_ENTRIES, pickle_type=DATA_ONLY)
        return cache
    url = settings.redis.url.get_secret_value()
    breaker = Breaker()
    cache.setup(
        url,
        # A Redis error is a cache miss, not an error of the request: the breaker turns it
        # into one, and skips Redis for a while after (cashews' own `suppress` would ask it
        # again on every call).
        middlewares=(breaker,),
        suppress=False,
        socket_connect_timeout=settings.redis.timeout,
        socket_timeout=settings.redis.timeout,
        # cashews pickles values in Redis by default, and a pickle runs code when it is read.
        # Its `secret` signs them, but a stored value names its own signing algorithm, and
        # "sum" is among those accepted: whoever writes to Redis can forge one. So no pickle
        # at all (and no `secret`, which would turn it back on): the cache holds JSON bytes.
        pickle_type=DATA_ONLY,
    )
    _READERS[cache] = ManyKeys(url, timeout=settings.redis.timeout, breaker=breaker)
    return cache


async def close_cache(cache: Cache) -> None:
    """Close the cache's connections: cashews' and those of its reader of many keys."""
    reader = _READERS.pop(cache, None)
    if reader is not None:
        await reader.close()
    await cache.close()


# --8<-- [end:create_cache]


# --8<-- [start:entries]
class JsonEntries(Generic[ValueT]):
    """Values of one type, kept in the cache as JSON and checked against that type when read.

    What comes back from Redis is untrusted input: it is parsed as JSON (data, never code) and
    validated by pydantic against the type. A value that is not JSON of that shape is a miss,
    and the caller reads the database as on any other miss; its next write replaces the value.

    Args:
        shape: The type of the values, as a pydantic `TypeAdapter`.

    """

    def __init__(self, shape: TypeAdapter[ValueT]) -> None:
        self.shape = shape

    async def read(self, cache: Cache, key: str, *, report: bool = False) -> ValueT | None:
        """Return the value kept under `key`, or None for a miss: nothing, or not of the shape.

        Args:
            cache: Where the value is kept.
            key: Its key.
            report: Log, in one line, a value that is there and unreadable. Only where no other
                request writes the key (under its fill lock): elsewhere, a value written
                between two calls would be taken for a bad one.

        """
        stored = await cache.get(key)
        if stored is None:
            # cashews answers None for bytes that it did not tag itself (a pickle, say).
            if report and await cache.get_raw(key) is not None:
                self._report(key, "not a value that cashews stored as bytes")
            return None
        if not isinstance(stored, bytes):
            reason = f"{type(stored).__name__}, not JSON"
        else:
            try:
                # strict: a string is not taken for a number, nor a number for a flag.
                return self.shape.validate_json(stored, strict=True)
            except ValidationError as error:
                # The count and the first error's type only: the value is not for the logs.
                first = error.errors(include_url=False, include_input=False)[0]["type"]
                reason = f"{error.error_count()} errors, the first {first}"
        if report:
            self._report(key, reason)
        return None

    async def write(self, cache: Cache, key: str, value: ValueT, *, expire: float) -> None:
        """Keep `value` under `key`, as JSON bytes, for `expire` seconds at most."""
        await cache.set(key, self.shape.dump_json(value), expire=expire)

    @staticmethod
    def _report(key: str, reason: str) -> None:
        # Planted, or written by an older version of the service: a miss either way.
        logger.warning("cache entry %s ignored, read as a miss: %s", key, reason)


async def get_together(cache: Cache, *keys: str) -> tuple[object, ...]:
    """Read several keys in one round trip to Redis (MGET); None for each one missing.

    Values come back as cashews' own `get` gives them: bytes, or a counter as an int. A
    switched-off cache answers None for each key (cashews' own switch would answer one None
    for them all).
    """
    reader = _READERS.get(cache)
    if reader is not None:
        return await reader.get(keys)
    if not cache.is_enable(Command.GET_MANY):
        return (None,) * len(keys)
    return tuple(await cache.get_many(*keys))


# --8<-- [start:many_keys]
# How cashews stores what this service writes: bytes behind its tag (DATA_ONLY), and a
# counter (`incr`) as the digits of a number.
BYTES_TAG: Final = b"bytes:"


class ManyKeys:
    """Read many keys of a Redis cache in one MGET, straight through redis-py.

    cashews' `get_many` decodes each value in an asyncio task of its own: on a cached read,
    that cost more CPU than the round trip to Redis itself (the `cache` benchmark's hot path
    reads four keys). This reader sends the same MGET and decodes the values in a loop, as
    cashews would: its bytes, its counters, and None for anything that it did not write. It
    shares the cache's breaker, so an outage is one miss, and skips Redis for a while.
    """

    def __init__(self, url: str, *, timeout: float, breaker: "Breaker") -> None:
        # No connection is made until the first read.
        self.client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self.breaker = breaker

    async def get(self, keys: tuple[str, ...]) -> tuple[object, ...]:
        """Return the value of each key, as cashews' `get` would; None where there is none."""
        if self.breaker.is_open:
            return (None,) * len(keys)
        try:
            values = await self.client.mget(keys)
        except (RedisError, OSError) as error:
            self.breaker.trip(error)
            return (None,) * len(keys)
        return tuple(_as_cashews_reads_it(value) for value in values)

    async def close(self) -> None:
        """Close its connections."""
        await self.client.aclose()


def _as_cashews_reads_it(value: bytes | str | None) -> object:
    # Bytes: the client does not decode responses (no `decode_responses`).
    if not isinstance(value, bytes):
        return None
    if value.isdigit():
        return int(value)
    if value.startswith(BYTES_TAG):
        return value[len(BYTES_TAG) :]
    # Not written by cashews for this service (a pickle, say): a miss, as cashews answers it.
    return None


# Each Redis cache's reader of many keys; a cache in memory has none.
_READERS: "weakref.WeakKeyDictionary[Cache, ManyKeys]" = weakref.WeakKeyDictionary()


# --8<-- [end:many_keys]


def read_counter(key: str, stored: object) -> int | None:
    """Return a counter that the cache keeps (cashews' `incr`): 0 when unset, None when corrupt.

    Args:
        key: Where `stored` was read, for the log line.
        stored: What the cache answered.

    """
    if stored is None:
        return 0
    # A bool is an int in Python, and never a counter.
    if isinstance(stored, int) and not isinstance(stored, bool):
        return stored
    logger.warning("cache counter %s ignored: %s, not a number", key, type(stored).__name__)
    return None


# --8<-- [end:entries]


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
            return as_a_miss(cmd, kwargs, keys=len(args))
        try:
            return await call(*args, **kwargs)
        # cashews wraps the Redis client's errors in CacheBackendInteractionError; OSError: a
        # refused or reset connection that neither wrapped.
        except (CacheBackendInteractionError, RedisError, OSError) as error:
            self.trip(error)
            return as_a_miss(cmd, kwargs, keys=len(args))

    def trip(self, error: Exception) -> None:
        """Open the breaker after a failed call: calls skip Redis for `pause_seconds`."""
        self._open_until = time.monotonic() + self.pause_seconds
        # One line per outage, not a traceback per request.
        logger.warning("cache unavailable for %.0f s: %s", self.pause_seconds, type(error).__name__)


def as_a_miss(cmd: Command, kwargs: dict[str, Any], *, keys: int = 1) -> Any:
    """Answer a command as an empty cache would, so that the caller goes to the database.

    Args:
        cmd: The command.
        kwargs: Its keyword arguments (a GET's `default`).
        keys: How many keys it names (a GET_MANY answers one value per key).

    """
    if cmd is Command.GET:
        return kwargs.get("default")
    if cmd is Command.GET_MANY:
        return (kwargs.get("default"),) * keys
    if cmd is Command.SET_LOCK:
        return True  # each request fills the entry for itself, as with no lock
    if cmd in {Command.SET, Command.EXISTS, Command.IS_LOCKED}:
        return False
    return None


# --8<-- [end:breaker]
