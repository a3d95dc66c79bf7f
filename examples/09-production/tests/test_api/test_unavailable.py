"""A database that is down or hung gets a 503 with Retry-After, one log line, and no 500.

PostgreSQL is reached through a proxy that the test breaks on purpose (tests/faults.py); on
SQLite, the app's sessions are pointed at a file that cannot be opened.
"""

from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest
from conftest import AppFactory, add_user, bearer, make_client
from fastapi import FastAPI
from faults import FaultyProxy, faulty_proxy
from log_capture import JsonLogLines

from fast_api_template.api.deps import Resources
from fast_api_template.config import DatabaseSettings, Environment, Settings
from fast_api_template.db import create_engine, create_session_factory

pytestmark = pytest.mark.anyio

# Short bounds, so that a hung database fails the request in well under a second.
FAST = {"connect_timeout": 0.5, "statement_timeout": 0.1, "pool_timeout": 0.5}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["type"] == "/problems/unavailable"


async def app_through(proxy: FaultyProxy, url: str, make_app: AppFactory) -> FastAPI:
    database = DatabaseSettings(url=proxy.url(url), **FAST)
    return await make_app(Settings(env=Environment.TEST, database=database))


async def test_a_stopped_database_is_a_503_until_it_returns(
    emptied_postgres: str, make_app: AppFactory
) -> None:
    async with faulty_proxy(emptied_postgres) as proxy:
        app = await app_through(proxy, emptied_postgres, make_app)
        async with make_client(app) as client:
            client.headers.update(bearer(app, await add_user(app, "ada@example.com")))
            await proxy.set_mode("refuse")
            with JsonLogLines() as log, anyio.fail_after(5):
                down = await client.post("/api/v1/projects", json={"name": "Garden"})
            await proxy.set_mode("pass")
            back = await client.post("/api/v1/projects", json={"name": "Garden"})

    assert_unavailable(down)
    assert back.status_code == 201  # the pool recovered by itself
    warnings = [line for line in log.lines if line["level"] in {"warning", "error"}]
    (line,) = warnings  # one line
    assert "exception" not in line  # no traceback
    assert (line["event"], line["error"]) == ("database_unavailable", "ConnectionRefusedError")
    assert line["request_id"] == down.headers["x-request-id"]


async def test_a_hung_database_is_a_503_within_the_timeouts(
    emptied_postgres: str, make_app: AppFactory
) -> None:
    async with faulty_proxy(emptied_postgres) as proxy:
        app = await app_through(proxy, emptied_postgres, make_app)
        async with make_client(app) as client:
            client.headers.update(bearer(app, await add_user(app, "ada@example.com")))
            await client.get("/api/v1/projects")  # a connection now waits in the pool
            await proxy.set_mode("hang")
            with anyio.fail_after(10):
                response = await client.get("/api/v1/projects")

    assert_unavailable(response)


async def test_a_database_file_that_cannot_open_is_a_503(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    broken = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/missing/app.db"))
    resources: Resources = app.state.resources
    app.state.resources = replace(resources, session_factory=create_session_factory(broken))
    try:
        response = await client.get("/api/v1/projects")
    finally:
        await broken.dispose()

    assert_unavailable(response)
