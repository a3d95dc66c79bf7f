"""Readiness: 200 while the database (migrated) and Redis answer, 503 problem details if not."""

import sqlite3
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
from fast_api_template.db import SCHEMA_REVISION, create_engine, create_session_factory

pytestmark = pytest.mark.anyio


async def test_ready_when_the_database_answers_at_the_head_revision(
    client: httpx.AsyncClient,
) -> None:
    # The session's database was migrated to the head revision (conftest.py).
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


def schema_at(path: Path, revisions: list[str] | None) -> str:
    """A SQLite file whose schema Alembic would say is at `revisions`; None: never migrated."""
    with sqlite3.connect(path) as connection:
        if revisions is not None:
            connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
            connection.executemany(
                "INSERT INTO alembic_version VALUES (?)", [(r,) for r in revisions]
            )
    connection.close()
    return f"sqlite+aiosqlite:///{path}"


async def ready_on(app: FastAPI, client: httpx.AsyncClient, url: str) -> httpx.Response:
    """Ask /ready while the app's sessions go to the database at `url`."""
    engine = create_engine(DatabaseSettings(url=url))
    app.state.resources = replace(resources_of(app), session_factory=create_session_factory(engine))
    try:
        return await client.get("/ready")
    finally:
        await engine.dispose()


BEHIND = f"{int(SCHEMA_REVISION) - 1:04d}"
AHEAD = f"{int(SCHEMA_REVISION) + 1:04d}"


@pytest.mark.sqlite_only  # the app's own database is swapped for a file made here
@pytest.mark.parametrize(
    ("revisions", "problem"),
    [
        pytest.param(None, "the database has no schema", id="never-migrated"),
        pytest.param([], "the database has no schema", id="downgraded-to-base"),
        pytest.param(
            [BEHIND],
            f"the database schema is at revision {BEHIND}, behind {SCHEMA_REVISION}",
            id="behind",
        ),
    ],
)
async def test_not_ready_before_the_migrations_ran(
    app: FastAPI,
    client: httpx.AsyncClient,
    tmp_path: Path,
    revisions: list[str] | None,
    problem: str,
) -> None:
    response = await ready_on(app, client, schema_at(tmp_path / "app.db", revisions))

    body = assert_problem(response, 503)
    assert body["detail"] == f"Not ready: {problem} (run the migrations)."


@pytest.mark.sqlite_only
async def test_ready_when_a_later_release_migrated_the_database(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    # During a rolling update the new release migrates first; this one keeps serving.
    response = await ready_on(app, client, schema_at(tmp_path / "app.db", [AHEAD]))

    assert response.status_code == 200


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
