"""At start-up, the migrations wait for the database and a worker waits for Redis, bounded.

A platform starts everything at once: the database may come up after the processes that
need it. They wait a while (utils/retries.py), then give up with the server's own error.
"""

import asyncio

import pytest
from conftest import AppFactory
from faults import faulty_proxy
from log_capture import JsonLogLines
from redis.exceptions import RedisError

from fast_api_template.config import DatabaseSettings, Environment, Settings
from fast_api_template.core.jobs import JobStream, create_broker
from fast_api_template.db import create_engine, wait_for_database

pytestmark = pytest.mark.anyio

# Nothing listens on port 9 of this machine: a server that is down.
DOWN_DATABASE = "postgresql+asyncpg://app:pw@127.0.0.1:9/app"
DOWN_REDIS = "redis://:pw@127.0.0.1:9/0"
# Seconds the test waits at most for a log line, or for the wait to end.
DEADLINE = 10.0


async def test_the_wait_for_the_database_ends_when_it_comes_up(emptied_postgres: str) -> None:
    async with faulty_proxy(emptied_postgres) as proxy:
        await proxy.set_mode("refuse")  # the database is not up yet
        engine = create_engine(DatabaseSettings(url=proxy.url(emptied_postgres)))
        try:
            with JsonLogLines() as log:
                waiting = asyncio.create_task(wait_for_database(engine, within=DEADLINE))
                async with asyncio.timeout(DEADLINE):
                    # The log line is the only sign of the first refusal: poll it, bounded.
                    while not log.events("waiting_for"):  # noqa: ASYNC110
                        await asyncio.sleep(0.01)
                await proxy.set_mode("pass")  # the database is up
                await asyncio.wait_for(waiting, DEADLINE)
        finally:
            await engine.dispose()

    assert waiting.exception() is None
    assert log.events("waiting_for")[0]["service"] == "database"


async def test_the_wait_for_a_database_that_never_comes_gives_up() -> None:
    engine = create_engine(DatabaseSettings(url=DOWN_DATABASE))
    try:
        with pytest.raises(OSError, match=r"Connect call failed|refused"):
            await wait_for_database(engine, within=0.2)
    finally:
        await engine.dispose()


async def test_a_worker_waits_for_redis_then_gives_up(make_app: AppFactory) -> None:
    del make_app  # settings of a worker, without an app
    settings = Settings(env=Environment.TEST, redis={"url": DOWN_REDIS})
    broker = create_broker(settings)
    assert isinstance(broker, JobStream)
    broker.is_worker_process = True
    broker.startup_wait_seconds = 0.2

    with JsonLogLines() as log, pytest.raises(RedisError, match="Connect call failed"):
        await broker.startup()

    assert {line["service"] for line in log.events("waiting_for")} == {"redis"}
