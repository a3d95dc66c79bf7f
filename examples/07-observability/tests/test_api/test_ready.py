"""Readiness: 200 while the database answers, 503 problem details when it does not."""

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from conftest import resources_of
from fastapi import FastAPI
from problem_checks import assert_problem

from fast_api_template.config import DatabaseSettings
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
    assert body["detail"] == "The database does not answer."
    assert alive.status_code == 200
