"""Owners with many projects, made quickly: the account through the stage, the rows in bulk.

A case that reads an owner's projects needs hundreds of them, each with its tasks: thousands
of rows. Created one request at a time, they would take longer than the measurement. So the
owner registers and logs in through the stage's API (its password hash and token are the
stage's own), and the projects and tasks go straight into the tables that the stage created,
in a few statements. Only the columns that the rows need are named; the rest take their
defaults. Statuses go round todo, doing, done, so that every count is in play.

A case that reads one project of a hundred or a thousand tasks makes it through the API
instead (`fill_project`), one request a task, as a reader's client would.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from benchmarks.load import BenchmarkError

STATUSES = ("todo", "doing", "done")
# The rows' creation times start here and go up by a second a project, so that the stage's
# order (created_at, then id) is the order of insertion.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# The routes that `fill_project` calls, and the task list that the cases then read: the routes
# of a case that lists one project's tasks.
TASK_LIST_ROUTES = (
    "POST /api/v2/users",
    "POST /api/v2/auth/token",
    "POST /api/v2/projects",
    "POST /api/v2/projects/1/tasks",
    "GET /api/v2/projects/1/tasks",
)


@dataclass(frozen=True)
class Owner:
    """A user of the stage with projects of their own."""

    email: str
    user_id: int
    headers: dict[str, str]  # the bearer token
    projects: int
    tasks_each: int


def make_owner(url: str, database_url: str, email: str, projects: int, tasks_each: int) -> Owner:
    """Register and log in `email` through the stage at `url`, then give them their projects.

    Args:
        url: A running server of the stage.
        database_url: The database that the server uses (SQLAlchemy async URL).
        email: The new user's address; unique in the run.
        projects: How many projects they own.
        tasks_each: How many tasks each project holds.

    Raises:
        BenchmarkError: The stage refused the registration or the login.

    """
    password = secrets.token_urlsafe(16)
    with httpx.Client(base_url=url, timeout=30) as client:
        user = expect(
            client.post("/api/v2/users", json={"email": email, "password": password}), 201
        )
        login = client.post("/api/v2/auth/token", data={"username": email, "password": password})
        token = expect(login, 200)["access_token"]
    owner = Owner(
        email=email,
        user_id=int(user["id"]),
        headers={"Authorization": f"Bearer {token}"},
        projects=projects,
        tasks_each=tasks_each,
    )
    asyncio.run(_insert_rows(database_url, owner))
    return owner


async def _insert_rows(database_url: str, owner: Owner) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            projects, tasks = await _tables(connection)
            await connection.execute(
                insert(projects),
                [
                    {
                        "name": f"Project {number:04}",
                        "archived": False,
                        "owner_id": owner.user_id,
                        "created_at": EPOCH + timedelta(seconds=number),
                        "updated_at": EPOCH + timedelta(seconds=number),
                    }
                    for number in range(owner.projects)
                ],
            )
            query = select(projects.c.id).where(projects.c.owner_id == owner.user_id)
            ids = (await connection.execute(query.order_by(projects.c.id))).scalars().all()
            if owner.tasks_each:
                await connection.execute(insert(tasks), _task_rows(ids, owner.tasks_each))
    finally:
        await engine.dispose()


async def _tables(connection: AsyncConnection) -> tuple[Table, Table]:
    metadata = MetaData()
    await connection.run_sync(lambda sync: metadata.reflect(sync, only=["projects", "tasks"]))
    return metadata.tables["projects"], metadata.tables["tasks"]


def _task_rows(project_ids: Sequence[int], tasks_each: int) -> list[dict[str, Any]]:
    rows = []
    for position, project_id in enumerate(project_ids):
        created = EPOCH + timedelta(seconds=position)
        rows += [
            {
                "title": f"Task {number}",
                "status": STATUSES[number % len(STATUSES)],
                "project_id": project_id,
                "created_at": created + timedelta(milliseconds=number),
                "updated_at": created + timedelta(milliseconds=number),
            }
            for number in range(tasks_each)
        ]
    return rows


def fill_project(url: str, email: str, project: str, tasks: int) -> tuple[dict[str, str], int]:
    """Register and log in `email` through the stage at `url`, and give them a project.

    The project, named `project`, gets `tasks` tasks, one request each. Returns the auth
    header and the project's id.
    """
    password = secrets.token_urlsafe(16)
    with httpx.Client(base_url=url, timeout=30) as client:
        expect(client.post("/api/v2/users", json={"email": email, "password": password}), 201)
        login = client.post("/api/v2/auth/token", data={"username": email, "password": password})
        headers = {"Authorization": f"Bearer {expect(login, 200)['access_token']}"}
        created = client.post("/api/v2/projects", json={"name": project}, headers=headers)
        project_id = int(expect(created, 201)["id"])
        path = f"/api/v2/projects/{project_id}/tasks"
        for number in range(1, tasks + 1):
            expect(client.post(path, json={"title": f"Task {number}"}, headers=headers), 201)
    return headers, project_id


def expect(response: httpx.Response, status: int) -> dict[str, Any]:
    """Return a JSON object answered with `status`.

    Raises:
        BenchmarkError: The answer had another status.

    """
    if response.status_code != status:
        raise BenchmarkError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}, not {status}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


def same_json(urls: dict[str, str], headers: dict[str, str], items: int) -> str:
    """Check that every URL answers 200 with the same JSON list of `items` entries.

    Args:
        urls: The URL to ask, by what the error message calls it.
        headers: Sent with each request.
        items: How long the list must be.

    Returns:
        How the answers compare: "byte-identical" or "identical after parsing".

    Raises:
        BenchmarkError: An answer is not a 200, is too short, or differs from the others.

    """
    answers = {}
    for label, url in urls.items():
        response = httpx.get(url, headers=headers, timeout=60)
        if response.status_code != httpx.codes.OK:
            raise BenchmarkError(f"{label}: {url} answered {response.status_code}: {response.text}")
        if len(response.json()) != items:
            raise BenchmarkError(f"{label}: {len(response.json())} entries, not {items}")
        answers[label] = response.content
    first = next(iter(answers.values()))
    if all(content == first for content in answers.values()):
        return "byte-identical"
    if all(json.loads(content) == json.loads(first) for content in answers.values()):
        return "identical after parsing"
    shown = "\n".join(f"{label}: {content[:300]!r}" for label, content in answers.items())
    raise BenchmarkError(
        f"the servers answer differently; the comparison would not be fair:\n{shown}"
    )
