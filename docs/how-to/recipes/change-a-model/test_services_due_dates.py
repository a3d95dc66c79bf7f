"""A due date is a day, never before today: the rule in the service, with a clock of its own."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from acme_api.services.exceptions import DueDateInThePastError
from acme_api.services.projects import NewProject, ProjectService
from acme_api.services.tasks import NewTask, TaskService

pytestmark = pytest.mark.anyio

# Noon on 6 December 2026, UTC: "today" for every test here, whatever the day it runs.
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


@pytest.fixture
def tasks(session: AsyncSession, projects: ProjectService) -> TaskService:
    """The task rules, on a clock that always says NOW."""
    return TaskService(session, projects=projects, clock=lambda: NOW)


@pytest.fixture
async def project_id(projects: ProjectService) -> int:
    project = await projects.create(NewProject(name="Garden"))
    assert project.id is not None
    return project.id


@pytest.mark.parametrize("day", [date(2026, 12, 6), date(2027, 1, 1)])
async def test_today_or_later_is_kept(tasks: TaskService, project_id: int, day: date) -> None:
    task = await tasks.create(project_id, NewTask(title="Dig", due_date=day))

    assert task.due_date == day


async def test_a_day_before_today_is_refused(tasks: TaskService, project_id: int) -> None:
    with pytest.raises(DueDateInThePastError, match="before today, 2026-12-06"):
        await tasks.create(project_id, NewTask(title="Dig", due_date=date(2026, 12, 5)))


async def test_an_update_is_held_to_the_same_rule(tasks: TaskService, project_id: int) -> None:
    task = await tasks.create(project_id, NewTask(title="Dig"))
    assert task.id is not None

    with pytest.raises(DueDateInThePastError):
        await tasks.update(project_id, task.id, {"due_date": date(2026, 1, 1)})
    cleared = await tasks.update(project_id, task.id, {"due_date": None})

    assert cleared.due_date is None


async def test_the_filter_pages_through_the_tasks_due_before_a_day(
    tasks: TaskService, project_id: int
) -> None:
    for number, day in enumerate([date(2026, 12, 24), None, date(2026, 12, 7), date(2027, 3, 1)]):
        await tasks.create(project_id, NewTask(title=f"T{number}", due_date=day))

    first = await tasks.list_after(project_id, None, 1, due_before=date(2027, 1, 1))
    assert first.next_key is not None
    second = await tasks.list_after(project_id, first.next_key, 1, due_before=date(2027, 1, 1))

    assert [task.title for task in first.items] == ["T0"]
    assert [task.title for task in second.items] == ["T2"]
