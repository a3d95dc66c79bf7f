"""The cache's breaker: a failed call to Redis is a miss, and Redis is skipped for a while."""

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from cashews import Command
from cashews.backends.memory import Memory
from redis.exceptions import TimeoutError as RedisTimeout

from fast_api_template.core.cache import Breaker, as_a_miss

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
