"""Readiness: 200 while the database and Redis answer, 503 problem details in time when not."""

from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest
from conftest import (
    AppFactory,
    key_prefix,
    make_client,
    production_settings,
    redis_url,
    resources_of,
)
from fastapi import FastAPI
from faults import faulty_proxy
from problem_checks import assert_problem

from fast_api_template.config import DatabaseSettings, Environment, RedisSettings, Settings
from fast_api_template.db import create_engine, create_session_factory

pytestmark = pytest.mark.anyio


async def test_ready_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.parametrize(
    "down_url",
    [
        pytest.param("sqlite+aiosqlite:///{tmp}/no-such-dir/app.db", id="sqlite-down"),
        # Nothing listens on port 9: the connection is refused.
        pytest.param("postgresql+asyncpg://app:pw@127.0.0.1:9/app", id="postgresql-down"),
    ],
)
async def test_not_ready_when_the_database_is_down(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path, down_url: str
) -> None:
    # The database goes away while the app runs: its sessions now reach a dead server.
    down = create_engine(DatabaseSettings(url=down_url.format(tmp=tmp_path)))
    app.state.resources = replace(resources_of(app), session_factory=create_session_factory(down))
    try:
        response = await client.get("/ready")
        alive = await client.get("/health")
    finally:
        await down.dispose()

    body = assert_problem(response, 503)
    assert body["detail"] == "Not ready: the database does not answer."
    assert alive.status_code == 200


async def test_not_ready_without_the_tables(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    # A database that answers, but that no migration has run on (an empty file).
    empty = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/empty.db"))
    app.state.resources = replace(resources_of(app), session_factory=create_session_factory(empty))
    try:
        response = await client.get("/ready")
    finally:
        await empty.dispose()

    body = assert_problem(response, 503)
    assert body["detail"] == "Not ready: the database has no tables (run the migrations)."


async def test_ready_answers_in_time_when_the_database_hangs(
    emptied_postgres: str, make_app: AppFactory
) -> None:
    async with faulty_proxy(emptied_postgres) as proxy:
        database = DatabaseSettings(url=proxy.url(emptied_postgres), ready_timeout=0.3)
        app = await make_app(Settings(env=Environment.TEST, database=database))
        async with make_client(app) as client:
            assert (await client.get("/ready")).status_code == 200
            await proxy.set_mode("hang")
            with anyio.fail_after(2):  # the timeout, and a margin; not minutes
                hung = await client.get("/ready")
                head = await client.head("/ready")

    body = assert_problem(hung, 503)
    assert body["detail"] == "Not ready: no answer within 0.3 s."
    assert head.status_code == 503


async def test_not_ready_when_redis_is_configured_and_down(
    database_url: str, make_app: AppFactory
) -> None:
    async with faulty_proxy(redis_url()) as proxy:
        redis = RedisSettings(url=proxy.url(redis_url()), key_prefix=key_prefix(), timeout=0.3)
        app = await make_app(
            Settings(env=Environment.TEST, database={"url": database_url}, redis=redis)
        )
        async with make_client(app) as client:
            up = await client.get("/ready")
            await proxy.set_mode("refuse")
            down = await client.get("/ready")

    assert up.status_code == 200
    body = assert_problem(down, 503)
    assert body["detail"] == "Not ready: Redis does not answer."


async def test_in_production_the_answer_keeps_the_reasons_for_the_log(
    make_app: AppFactory,
) -> None:
    # Production's settings, with the database on a port where nothing listens.
    app = await make_app(production_settings())

    async with make_client(app) as client:
        response = await client.get("/ready")

    body = assert_problem(response, 503)
    assert body["detail"] == "Not ready."
