"""Keyset pages: every row once, in (created_at, id) order, ties broken by id."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import Project, Task, User
from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.services.pagination import Keyset
from fast_api_template.services.projects import NewProject, ProjectService
from fast_api_template.services.tasks import TaskService

pytestmark = pytest.mark.anyio

START = datetime(2026, 1, 1, tzinfo=UTC)


async def test_pages_cover_every_project_once_even_with_equal_timestamps(
    session: AsyncSession, owner: User, projects: ProjectService
) -> None:
    assert owner.id is not None
    # Created in pairs at the same instant, and inserted out of order.
    for number in [4, 0, 5, 1, 6, 2, 3]:
        at = START + timedelta(seconds=number // 2)
        session.add(Project(name=f"P{number}", owner_id=owner.id, created_at=at))
    await session.flush()

    names: list[list[str]] = []
    after: Keyset | None = None
    while True:
        page = await projects.list_after(after, 3)
        names.append([project.name for project in page.items])
        if page.next_key is None:
            break
        after = page.next_key

    flat = [name for page in names for name in page]
    assert [len(page) for page in names] == [3, 3, 1]
    assert sorted(flat) == [f"P{number}" for number in range(7)]
    created = [
        (project.created_at, project.id) for project in (await projects.list_after(None, 10)).items
    ]
    assert created == sorted(created)


async def test_the_key_of_a_page_is_its_last_row(projects: ProjectService) -> None:
    for name in ["A", "B", "C"]:
        await projects.create(NewProject(name=name))

    page = await projects.list_after(None, 2)

    assert page.next_key == Keyset(created_at=page.items[-1].created_at, id=page.items[-1].id or 0)


async def test_other_owners_projects_are_never_listed(
    session: AsyncSession, projects: ProjectService, stranger: User
) -> None:
    await ProjectService(session, actor=stranger).create(NewProject(name="Secret"))
    await projects.create(NewProject(name="Mine"))

    page = await projects.list_after(None, 10)

    assert [project.name for project in page.items] == ["Mine"]


async def test_task_pages_filter_by_status(
    session: AsyncSession, projects: ProjectService, tasks: TaskService
) -> None:
    project = await projects.create(NewProject(name="Garden"))
    assert project.id is not None
    for number, status in enumerate([TaskStatus.DOING, TaskStatus.TODO, TaskStatus.DOING]):
        session.add(Task(title=f"T{number}", project_id=project.id, status=status))
    await session.flush()

    first = await tasks.list_after(project.id, None, 1, status=TaskStatus.DOING)
    second = await tasks.list_after(project.id, first.next_key, 1, status=TaskStatus.DOING)

    assert [task.title for task in first.items] == ["T0"]
    assert [task.title for task in second.items] == ["T2"]
    assert second.next_key is None
