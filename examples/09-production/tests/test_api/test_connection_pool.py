"""A request that finds every connection of the pool taken waits `pool_timeout`, then gets 503.

Each process has its own pool: `pool_size` connections kept open, `max_overflow` more under
load. A request that finds none free waits for one, for `pool_timeout` seconds at most, then
gets the 503 that a database down gets, with Retry-After, rather than waiting for ever.
"""

import time

import pytest
from conftest import AppFactory, add_user, bearer, make_client, resources_of
from log_capture import JsonLogLines
from problem_checks import assert_problem
from sqlalchemy.ext.asyncio import AsyncEngine

from fast_api_template.config import Environment, Settings

pytestmark = [pytest.mark.anyio, pytest.mark.postgresql_only]

POOL_TIMEOUT = 0.2


# --8<-- [start:exhausted]
async def test_a_request_that_finds_no_free_connection_gets_a_503(
    database_url: str, make_app: AppFactory
) -> None:
    # One connection, no overflow: whoever holds it leaves none for a request.
    database = {
        "url": database_url,
        "pool_size": 1,
        "max_overflow": 0,
        "pool_timeout": POOL_TIMEOUT,
    }
    app = await make_app(Settings(env=Environment.TEST, database=database))
    headers = bearer(app, await add_user(app, "ada@example.com"))
    engine = resources_of(app).session_factory.kw["bind"]
    assert isinstance(engine, AsyncEngine)

    async with make_client(app) as client:
        async with engine.connect():  # the pool's only connection, taken
            started = time.perf_counter()
            with JsonLogLines() as log:
                exhausted = await client.get("/api/v2/projects", headers=headers)
            waited = time.perf_counter() - started
        freed = await client.get("/api/v2/projects", headers=headers)

    assert_problem(exhausted, 503)
    assert int(exhausted.headers["retry-after"]) > 0
    assert waited >= POOL_TIMEOUT  # it waited for a connection, then gave up
    (line,) = [line for line in log.lines if line["event"] == "database_unavailable"]
    assert line["error"] == "TimeoutError"  # SQLAlchemy's: no connection within pool_timeout
    assert freed.status_code == 200  # a connection back in the pool serves the next request
    # --8<-- [end:exhausted]
