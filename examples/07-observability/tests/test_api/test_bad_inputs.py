"""A catalog of bad requests: each gets its 4xx as problem details, and changes nothing.

Every entry is a request that a careless or hostile client could send. For each one the
answer must be the expected status code in the one error format with the request's id, the
log must hold no traceback (a bad request is not a bug), and no row may be written.

The whole catalog runs in one test per database, against one seeded owner: no entry may
change anything, so they can share it, and a test per entry would pay for a fresh database
and owner sixty times over. A failure names its entries.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from conftest import resources_of
from fastapi import FastAPI
from problem_checks import assert_problem
from sqlalchemy import func, select
from sqlmodel import SQLModel

from fast_api_template.core.security import ALGORITHM, create_access_token, key_id
from fast_api_template.models import User
from fast_api_template.services.projects import NewProject, ProjectService
from fast_api_template.services.tasks import NewTask, TaskService

pytestmark = pytest.mark.anyio

JSON = {"content-type": "application/json"}
LONG = "x" * 10_000


@dataclass(frozen=True)
class Bad:
    """One bad request and the status it must get."""

    method: str
    path: str  # {project} and {task} are the seeded project's and task's ids
    status: int
    json: Any = None
    content: bytes | None = None
    data: dict[str, str] | None = None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # "owner": with the seeded owner's token; "none": without; else the Authorization value.
    auth: str = "owner"


def bad(name: str, *args: Any, **kwargs: Any) -> tuple[str, Bad]:
    """A catalog entry and its name."""
    return name, Bad(*args, **kwargs)


P1 = "/api/v1/projects"
P2 = "/api/v2/projects"
T1 = "/api/v1/projects/{project}/tasks"
T2 = "/api/v2/projects/{project}/tasks"

CATALOG = dict([
    # Bodies: the shape
    bad("body-not-json", "POST", P2, 422, content=b"{", headers=JSON),
    bad("body-not-utf-8", "POST", P2, 400, content=b'{"name": "\xff\xfe"}', headers=JSON),
    bad("body-nested-too-deep", "POST", P2, 400, content=b"[" * 9_999 + b"]" * 9_999, headers=JSON),
    bad("body-empty", "POST", P2, 422, content=b"", headers=JSON),
    bad("body-null", "POST", P2, 422, content=b"null", headers=JSON),
    bad("body-an-array", "POST", P2, 422, json=[{"name": "Garden"}]),
    bad("body-a-string", "POST", P2, 422, json="Garden"),
    bad("body-an-unknown-field", "POST", P2, 422, json={"name": "Garden", "owner_id": 2}),
    bad("body-many-unknown-fields", "POST", P2, 422, json={f"k{n}": n for n in range(5000)}),
    bad("body-over-the-limit", "POST", P2, 413, content=b" " * 1_100_000, headers=JSON),
    # Bodies: the values
    bad("name-missing", "POST", P2, 422, json={"description": "No name"}),
    bad("name-empty", "POST", P2, 422, json={"name": ""}),
    bad("name-only-spaces", "POST", P2, 422, json={"name": "   "}),
    bad("name-too-long", "POST", P2, 422, json={"name": "x" * 101}),
    bad("name-null", "POST", P2, 422, json={"name": None}),
    bad("name-a-number", "POST", P2, 422, json={"name": 5}),
    bad("name-a-list", "POST", P2, 422, json={"name": ["Garden"]}),
    bad("name-with-nul", "POST", P2, 422, json={"name": "Gar\x00den"}),
    bad("name-with-escape", "POST", P2, 422, json={"name": "\x1b[31mGarden"}),
    bad("name-lone-surrogate", "POST", P2, 422, content=b'{"name": "\\ud800"}', headers=JSON),
    bad("description-too-long", "POST", P2, 422, json={"name": "G", "description": LONG}),
    bad("rename-to-null", "PATCH", f"{P2}/{{project}}", 422, json={"name": None}),
    bad("archived-as-0", "PATCH", f"{P2}/{{project}}", 422, json={"archived": 0}),
    bad("archived-as-text", "PATCH", f"{P2}/{{project}}", 422, json={"archived": "true"}),
    bad("done-as-1", "PATCH", f"{T1}/{{task}}", 422, json={"done": 1}),
    bad("status-unknown", "POST", T2, 422, json={"title": "Dig", "status": "finished"}),
    bad("status-null", "PATCH", f"{T2}/{{task}}", 422, json={"status": None}),
    bad("title-too-long", "POST", T2, 422, json={"title": "x" * 201}),
    # Query parameters
    bad("limit-zero", "GET", P2, 422, params={"limit": "0"}),
    bad("limit-too-large", "GET", P2, 422, params={"limit": "101"}),
    bad("limit-not-a-number", "GET", P2, 422, params={"limit": "ten"}),
    bad("offset-negative", "GET", P1, 422, params={"offset": "-1"}),
    bad("offset-beyond-integers", "GET", P1, 422, params={"offset": str(2**31)}),
    bad("filter-with-nul", "GET", P2, 422, params={"name_contains": "a\x00"}),
    bad("filter-too-long", "GET", P2, 422, params={"name_contains": "x" * 101}),
    bad("archived-maybe", "GET", P2, 422, params={"archived": "maybe"}),
    bad("status-filter-unknown", "GET", T2, 422, params={"status": "finished"}),
    bad("cursor-forged", "GET", P2, 400, params={"cursor": "eyJpZCI6MX0.c2lnbmF0dXJl"}),
    bad("cursor-too-long", "GET", P2, 422, params={"cursor": "x" * 501}),
    # Path parameters
    bad("project-id-zero", "GET", f"{P2}/0", 422),
    bad("project-id-negative", "GET", f"{P2}/-1", 404),  # digits only: no route
    bad("project-id-beyond-integers", "GET", f"{P2}/{2**31}", 422),
    bad("project-id-not-a-number", "GET", f"{P2}/garden", 404),
    bad("task-id-beyond-integers", "GET", f"{T2}/{2**63}", 422),
    bad("project-of-nobody", "GET", f"{P2}/999", 404),
    bad("task-of-another-project", "GET", f"{T2}/999", 404),
    # Credentials
    bad("no-token", "GET", P2, 401, auth="none"),
    bad("garbage-token", "GET", P2, 401, auth="Bearer not.a.token"),
    bad("basic-not-bearer", "GET", P2, 401, auth="Basic YWRhOnB3"),
    bad("login-username-with-nul", "POST", "/api/v2/auth/token", 422, auth="none",
        data={"username": "ada\x00@example.com", "password": "x"}),
    bad("login-empty-fields", "POST", "/api/v2/auth/token", 422, auth="none",
        data={"username": "", "password": ""}),
    bad("login-password-too-long", "POST", "/api/v2/auth/token", 422, auth="none",
        data={"username": "ada@example.com", "password": LONG}),
    bad("login-grant-unknown", "POST", "/api/v2/auth/token", 422, auth="none",
        data={"username": "ada@example.com", "password": "x", "grant_type": "magic"}),
    bad("register-bad-email", "POST", "/api/v2/users", 422, auth="none",
        json={"email": "not-an-email", "password": "long-enough-to-pass"}),
    bad("register-short-password", "POST", "/api/v2/users", 422, auth="none",
        json={"email": "bob@example.com", "password": "short"}),
    bad("register-taken-email", "POST", "/api/v2/users", 409, auth="none",
        json={"email": "ada@example.com", "password": "long-enough-to-pass"}),
    bad("refresh-empty", "POST", "/api/v2/auth/refresh", 422, auth="none",
        json={"refresh_token": ""}),
    bad("refresh-unknown", "POST", "/api/v2/auth/refresh", 401, auth="none",
        json={"refresh_token": "never-issued"}),
    # Routes
    bad("unknown-route", "GET", "/api/v2/nothing-here", 404),
    bad("wrong-method", "PUT", P2, 405),
])  # fmt: skip


def forged_token(app: FastAPI, subject: str) -> str:
    """A correctly signed access token whose subject is not a user id."""
    settings = resources_of(app).settings.security
    token = create_access_token(1, version=0, secret="x" * 32, lifetime=timedelta(minutes=5))
    claims = jwt.decode(token, "x" * 32, algorithms=[ALGORITHM]) | {"sub": subject}
    key = settings.secret_key.get_secret_value()
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": key_id(key)})


@pytest.fixture
async def seeded(app: FastAPI, user: User) -> dict[str, int]:
    """The owner's project and task: the targets of the requests that need ids."""
    async with resources_of(app).session_factory() as session, session.begin():
        projects = ProjectService(session, actor=user)
        project = await projects.create(NewProject(name="Garden"))
        task = await TaskService(session, projects=projects).create(
            project.id or 0, NewTask(title="Dig")
        )
    return {"project": project.id or 0, "task": task.id or 0}


async def row_counts(app: FastAPI) -> dict[str, int]:
    async with resources_of(app).session_factory() as session:
        connection = await session.connection()
        counts = {}
        for table in SQLModel.metadata.sorted_tables:
            count = select(func.count()).select_from(table)
            counts[table.name] = (await connection.execute(count)).scalar_one()
        return counts


async def test_every_bad_request_is_refused_and_changes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    seeded: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = []
    for name, entry in CATALOG.items():
        caplog.clear()
        before = await row_counts(app)
        response = await send(entry, client if entry.auth == "owner" else anonymous, seeded)
        failures += [f"{name}: {problem}" for problem in problems_of(response, entry.status)]
        if await row_counts(app) != before:
            failures.append(f"{name}: it wrote rows")
        if any(record.exc_info for record in caplog.records) or "Traceback" in caplog.text:
            failures.append(f"{name}: a traceback in the log")

    assert failures == []


async def send(entry: Bad, caller: httpx.AsyncClient, seeded: dict[str, int]) -> httpx.Response:
    """Send a catalog entry, with the ids of the seeded project and task in its path."""
    headers = dict(entry.headers)
    if entry.auth not in {"owner", "none"}:
        headers["Authorization"] = entry.auth
    return await caller.request(
        entry.method,
        entry.path.format(**seeded),
        json=entry.json,
        content=entry.content,
        data=entry.data,
        params=entry.params,
        headers=headers,
    )


def problems_of(response: httpx.Response, status: int) -> list[str]:
    """Say what is wrong with an answer that should be the problem of `status`."""
    problems = []
    try:
        assert_problem(response, status)
    except AssertionError as error:
        problems.append(f"not the problem of a {status}: {error}")
    if len(response.content) >= 8_000:  # an answer never echoes a large input
        problems.append(f"an answer of {len(response.content)} bytes")
    return problems


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("subject", [str(2**31), "9" * 40, "\u0661", "0", "-1", "1.0"])
async def test_a_signed_token_with_a_bad_subject_is_refused(
    app: FastAPI, anonymous: httpx.AsyncClient, subject: str
) -> None:
    token = forged_token(app, subject)

    response = await anonymous.get(P2, headers={"Authorization": f"Bearer {token}"})

    assert_problem(response, 401)


def test_the_catalog_is_large_enough() -> None:
    assert len(CATALOG) >= 40
