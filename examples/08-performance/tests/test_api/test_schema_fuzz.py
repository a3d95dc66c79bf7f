"""Fuzz both API versions from their OpenAPI documents, logged in, against real data.

Every operation of v1 and v2 gets requests that hypothesis generates from the documents,
valid and invalid, with a real access token and, most of the time, the ids of a project and
a task that exist, so that the protected routes are reached, not only their 401. Every check
of schemathesis runs on each answer: no 500, a documented status code and content type, a body
that matches the documented schema, the documented headers (Allow on a 405, say), and the auth
that the document declares.

It runs once, on PostgreSQL when the suite has one (where NUL and overflowing integers used to
slip through), else on SQLite: the HTTP contract is the same on both.
"""

import os
import re
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis import GenerationMode

from fast_api_template.api.deps import MAX_CURSOR_LENGTH
from fast_api_template.app import create_app
from fast_api_template.config import Environment, Settings
from fast_api_template.schemas.fields import STORABLE_PATTERN

PASSWORD = "Tr4nsient-S3cret-42"  # noqa: S105 -- a throwaway account in a test database
# Enough to reach every operation of a version, valid and invalid; each stage's suite runs
# this, so it stays at a few seconds.
EXAMPLES_PER_VERSION = 100


@pytest.fixture
def fuzz_settings(request: pytest.FixtureRequest, tmp_path: Any) -> Settings:
    """Settings on PostgreSQL when the suite has one, else on a SQLite file."""
    if os.environ.get("TEST_DATABASE_URL"):
        request.getfixturevalue("empty_postgres")()
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    # Registrations are throttled per address, and the fuzzer registers often.
    security = {"registration_attempts": 10_000}
    return Settings(env=Environment.TEST, database={"url": url}, security=security)


def well_formed(cursor: str) -> bool:
    """Whether a cursor matches what the OpenAPI document says of it."""
    return len(cursor) <= MAX_CURSOR_LENGTH and re.fullmatch(STORABLE_PATTERN, cursor) is not None


@dataclass(frozen=True)
class World:
    """What the fuzzer may use: a logged-in user's header, real ids and real cursors."""

    headers: dict[str, str]
    ids: dict[str, int]
    cursors: dict[str, str]  # by the path template of the list they page


def seed(client: TestClient) -> World:
    """Register and log in, and create two projects with two tasks each."""
    account = {"email": "fuzz@example.com", "password": PASSWORD}
    assert client.post("/api/v2/users", json=account).status_code == 201
    form = {"username": account["email"], "password": PASSWORD}
    token = client.post("/api/v2/auth/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for name in ("Fuzz", "Buzz"):
        project = client.post("/api/v2/projects", json={"name": name}, headers=headers).json()
        for title in ("Dig", "Sow"):
            path = f"/api/v2/projects/{project['id']}/tasks"
            task = client.post(path, json={"title": title}, headers=headers).json()
    ids = {"project_id": project["id"], "task_id": task["id"], "user_id": 1}
    lists = {
        "/api/v2/projects": "/api/v2/projects",
        "/api/v2/projects/{project_id}/tasks": f"/api/v2/projects/{project['id']}/tasks",
    }
    cursors = {
        template: client.get(path, params={"limit": 1}, headers=headers).json()["next_cursor"]
        for template, path in lists.items()
    }
    return World(headers, ids, cursors)


def aim(case: schemathesis.Case[Any], world: World, *, real_ids: bool) -> None:
    """Point a case at the world's data: its ids, and a real cursor where one is well formed.

    A cursor is opaque: one that hypothesis makes up can match the schema without being
    signed, a 400 that the schema cannot foresee. A cursor that breaks the schema is kept.
    """
    cursor = case.query.get("cursor") if case.query else None
    real_cursor = isinstance(cursor, str) and well_formed(cursor)
    if real_cursor:
        case.query = {**case.query, "cursor": world.cursors[case.path]}
    # A cursor is valid for one list only: that of the project whose id the world knows.
    if (real_ids or real_cursor) and case.path_parameters:
        case.path_parameters = {
            name: world.ids.get(name, value) for name, value in case.path_parameters.items()
        }


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_every_operation_keeps_its_contract(fuzz_settings: Settings, version: str) -> None:
    app = create_app(fuzz_settings)
    with TestClient(app) as client:
        world = seed(client)
        schema = schemathesis.openapi.from_asgi(f"/api/{version}/openapi.json", app)
        cases = st.one_of(
            schema.as_strategy(GenerationMode.POSITIVE),
            schema.as_strategy(GenerationMode.NEGATIVE),
        )

        @hypothesis.given(case=cases, real_ids=st.booleans() | st.just(True))
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_VERSION,
            derandomize=True,  # the same requests on every run
            database=None,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # report, don't shrink
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def keeps_its_contract(case: schemathesis.Case[Any], real_ids: bool) -> None:
            aim(case, world, real_ids=real_ids)
            case.call_and_validate(headers=world.headers)

        keeps_its_contract()
