"""The list and filter queries are served by an index: PostgreSQL's own plans say so.

Each query is taken from the service that sends it, recorded as the driver received it, then
explained by PostgreSQL. Sequential scans are discouraged while it plans: on a few hundred
rows a scan is cheaper, and would hide whether an index could serve the query at all.
SQLite, the embedded default, is left out: its planner is simpler and its choice between two
usable indexes is not a property of the app.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from statements import recorded_calls

from fast_api_template.models import Project, Task, User
from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.services.projects import ProjectService
from fast_api_template.services.summaries import query_summaries
from fast_api_template.services.tasks import TaskService

pytestmark = [pytest.mark.anyio, pytest.mark.postgresql_only]

Query = Callable[[ProjectService, TaskService, int], Awaitable[object]]


async def seed(session: AsyncSession, owner: User) -> int:
    """Give the owner projects, half archived, each with tasks of every status."""
    projects = [
        Project(name=f"Project {n}", owner_id=owner.id or 0, archived=n % 2 == 0) for n in range(40)
    ]
    session.add_all(projects)
    await session.flush()
    statuses = list(TaskStatus)
    session.add_all(
        Task(title=f"Task {n}", status=statuses[n % 3], project_id=project.id or 0)
        for project in projects
        for n in range(15)
    )
    await session.flush()
    return projects[0].id or 0


# --8<-- [start:plan]
async def indexes_in_plan(engine: AsyncEngine, statement: str, parameters: Any) -> set[str]:
    """Return the names of the indexes that the database plans to use for a statement."""
    async with engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE")
        await connection.exec_driver_sql("SET enable_seqscan = off")
        result = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        document = result.scalar_one()  # the driver may decode the JSON already
        plans = json.loads(document) if isinstance(document, str) else document
        return set(_index_names(plans[0]["Plan"]))


def _index_names(plan: dict[str, Any]) -> list[str]:
    names = [plan["Index Name"]] if "Index Name" in plan else []
    for child in plan.get("Plans", []):
        names += _index_names(child)
    return names


# --8<-- [end:plan]


# --8<-- [start:cases]
PROJECT_INDEXES = {"ix_projects_owner_id", "ix_projects_owner_id_archived"}
TASK_INDEXES = {"ix_tasks_project_id", "ix_tasks_project_id_status"}

# Each query, and the indexes that can serve it: an unfiltered list may use either index of
# its table, both start with its filter's column; a filtered list needs the one that has
# its filter's columns too.
CASES: dict[str, tuple[Query, set[str]]] = {
    "projects": (lambda p, _t, _project: p.list_after(None, 20), PROJECT_INDEXES),
    "archived projects": (
        lambda p, _t, _project: p.list_after(None, 20, archived=True),
        {"ix_projects_owner_id_archived"},
    ),
    "tasks": (lambda _p, t, project: t.list_after(project, None, 20), TASK_INDEXES),
    "tasks by status": (
        lambda _p, t, project: t.list_after(project, None, 20, status=TaskStatus.DONE),
        {"ix_tasks_project_id_status"},
    ),
}


@pytest.mark.parametrize("case", CASES.keys())
async def test_a_list_query_uses_its_index(
    engine: AsyncEngine,
    session: AsyncSession,
    owner: User,
    projects: ProjectService,
    tasks: TaskService,
    case: str,
) -> None:
    project = await seed(session, owner)
    await session.commit()
    query, usable = CASES[case]

    with recorded_calls(engine) as calls:
        await query(projects, tasks, project)
    await session.rollback()  # SQLite: free the write lock that the session's BEGIN took
    statement, parameters = calls[-1]  # the page's query comes last, after the access check

    assert await indexes_in_plan(engine, statement, parameters) & usable


# --8<-- [end:cases]


async def test_the_summaries_use_the_owner_and_project_indexes(
    engine: AsyncEngine, session: AsyncSession, owner: User
) -> None:
    await seed(session, owner)
    await session.commit()

    with recorded_calls(engine) as calls:
        await query_summaries(session, owner.id or 0, limit=20)
    await session.rollback()
    (statement, parameters) = calls[-1]

    used = await indexes_in_plan(engine, statement, parameters)
    assert used & PROJECT_INDEXES
    assert used & TASK_INDEXES
