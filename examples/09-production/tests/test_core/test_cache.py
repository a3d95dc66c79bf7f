"""The cache's breaker: a failed call to Redis is a miss, and Redis is skipped for a while."""

import pickle
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from cashews import Command
from cashews.backends.memory import Memory
from conftest import key_prefix, redis_url
from faults import Mode, faulty_proxy
from redis.exceptions import TimeoutError as RedisTimeout

from fast_api_template.config import RedisSettings, Settings
from fast_api_template.core.cache import (
    Breaker,
    as_a_miss,
    close_cache,
    create_cache,
    get_together,
)

pytestmark = pytest.mark.anyio


def redis_call(answers: list[Any]) -> tuple[Callable[..., Awaitable[Any]], list[str]]:
    """A cache call that gives the next answer (or raises it), and the list of calls made."""
    made: list[str] = []

    async def call(*args: Any, **_options: Any) -> Any:
        made.append(str(args[0]))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return call, made


async def test_a_failure_is_a_miss_and_skips_redis_until_the_pause_ends() -> None:
    breaker = Breaker(pause_seconds=0.2)
    call, made = redis_call([RedisTimeout("no answer"), "cached"])
    backend = Memory()

    failed = await breaker(call, Command.GET, backend, "k1", default="none")
    skipped = await breaker(call, Command.GET, backend, "k2", default="none")
    await anyio.sleep(0.25)
    tried_again = await breaker(call, Command.GET, backend, "k3", default="none")

    assert (failed, skipped, tried_again) == ("none", "none", "cached")
    assert made == ["k1", "k3"]  # nothing reached Redis while the breaker was open


async def test_a_bug_is_not_taken_for_an_outage() -> None:
    breaker = Breaker()
    call, _ = redis_call([TypeError("a bug")])

    with pytest.raises(TypeError):
        await breaker(call, Command.GET, Memory(), "key")
    assert not breaker.is_open


@pytest.mark.parametrize(
    ("command", "options", "miss"),
    [
        (Command.GET, {"default": 0}, 0),
        (Command.GET, {}, None),
        (Command.SET, {}, False),
        (Command.SET_LOCK, {}, True),  # each request fills the entry for itself
        (Command.IS_LOCKED, {}, False),
        (Command.INCR, {}, None),
        (Command.UNLOCK, {}, None),
    ],
)
def test_each_command_answers_as_an_empty_cache(
    command: Command, options: dict[str, Any], miss: object
) -> None:
    assert as_a_miss(command, options) == miss


def test_a_read_of_many_keys_answers_a_miss_for_each() -> None:
    assert as_a_miss(Command.GET_MANY, {}, keys=3) == (None, None, None)


async def test_many_keys_read_what_cashews_wrote_as_cashews_reads_it() -> None:
    # The cached read's MGET goes around cashews: it must agree with cashews on every value.
    redis = RedisSettings(url=redis_url(), key_prefix=key_prefix())
    cache = create_cache(Settings(env="test", redis=redis))
    keys = [f"{redis.key_prefix}:{name}" for name in ("bytes", "counter", "pickle", "none")]
    try:
        await cache.set(keys[0], b'0\n[{"id": 1}]')
        await cache.incr(keys[1])
        await cache.set_raw(keys[2], pickle.dumps({"id": 1}))

        ours = await get_together(cache, *keys)
        theirs = await cache.get_many(*keys)
    finally:
        for key in keys:
            await cache.delete(key)
        await close_cache(cache)

    assert ours == theirs == (b'0\n[{"id": 1}]', 1, None, None)


@pytest.mark.parametrize("fault", ["refuse", "hang"])
async def test_many_keys_with_redis_down_are_misses_and_open_the_breaker(fault: Mode) -> None:
    async with faulty_proxy(redis_url()) as proxy:
        redis = RedisSettings(url=proxy.url(redis_url()), key_prefix=key_prefix(), timeout=0.5)
        cache = create_cache(Settings(env="test", redis=redis))
        key = f"{redis.key_prefix}:bytes"
        await cache.set(key, b"kept")
        try:
            up = await get_together(cache, key)
            await proxy.set_mode(fault)
            down = await get_together(cache, key)
            started = anyio.current_time()
            skipped = await get_together(cache, key)  # the breaker is open: no wait at all
            waited = anyio.current_time() - started
        finally:
            await proxy.set_mode("pass")
            await cache.delete(key)
            await close_cache(cache)

    assert (up, down, skipped) == ((b"kept",), (None,), (None,))
    assert waited < redis.timeout
