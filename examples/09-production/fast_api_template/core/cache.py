"""The cache of hot reads, with cashews: in this process's memory, or in Redis.

In memory, each process caches on its own: right for one process, and for tests. With several
workers or replicas, a write in one process must invalidate what the others cached, so a Redis
URL in the settings moves the cache to Redis, which every process shares.

A cache is an optimisation, never a dependency: when Redis does not answer, a read is a miss
and goes to the database, and the service stays up.
"""

import logging

from cashews import Cache

from fast_api_template.config import Settings

# Entries of a process's own memory: a bound, so that a cache cannot grow until it fails.
MEMORY_ENTRIES = 10_000


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
        # A Redis error is a cache miss, not an error of the request.
        suppress=True,
        socket_connect_timeout=settings.redis.timeout,
        socket_timeout=settings.redis.timeout,
        # Values are pickled: signed with a key of the service, so that whoever can write to
        # Redis cannot make a process unpickle what they like.
        secret=settings.security.secret_key.get_secret_value(),
        digestmod="sha256",
    )
    _one_line_per_failure()
    return cache


# --8<-- [end:create_cache]


def _switch_off(cache: Cache) -> None:
    # cashews' own switch, `setup(..., disable=True)`, is a context variable: it holds in the
    # task that sets the cache up (the lifespan), not in the tasks that serve the requests. A
    # backend that is off by default is off in every task.
    backend = cache.setup("mem://", size=1)
    backend.enable_by_default = False


class _WithoutTraceback(logging.Filter):
    """Keep a record's message, drop its traceback: a failing Redis is not a bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def _one_line_per_failure() -> None:
    # cashews logs each suppressed Redis error with its traceback: one per request while
    # Redis is down, a storm that would bury everything else.
    redis_logger = logging.getLogger("cashews.backends.redis.client")
    if not any(isinstance(f, _WithoutTraceback) for f in redis_logger.filters):
        redis_logger.addFilter(_WithoutTraceback())
