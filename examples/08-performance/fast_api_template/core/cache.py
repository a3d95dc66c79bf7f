"""The cache of hot reads, with cashews: in this process's memory, or in Redis.

In memory, each process caches on its own: right for one process, and for tests. With several
workers or replicas, a write in one process must invalidate what the others cached, so a Redis
URL in the settings moves the cache to Redis, which every process shares.

A cache is an optimisation, never a dependency: when Redis does not answer, a read is a miss
and goes to the database, and the service stays up.
"""

from cashews import Cache

from fast_api_template.config import Settings

# Entries of a process's own memory: a bound, so that a cache cannot grow until it fails.
MEMORY_ENTRIES = 10_000


# --8<-- [start:create_cache]
def create_cache(settings: Settings) -> Cache:
    """Return a cache in Redis when a Redis URL is set, else in this process's memory."""
    cache = Cache()
    if settings.redis.url is None:
        cache.setup("mem://", size=MEMORY_ENTRIES)
        return cache
    cache.setup(
        settings.redis.url.get_secret_value(),
        # A Redis error is a cache miss, not an error of the request.
        suppress=True,
        socket_connect_timeout=settings.redis.timeout,
        socket_timeout=settings.redis.timeout,
    )
    return cache


# --8<-- [end:create_cache]
