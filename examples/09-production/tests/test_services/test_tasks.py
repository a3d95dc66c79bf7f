"""The task rules, without HTTP."""

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import Project, Task, User
from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.services.exceptions import (
    ProjectArchivedError,
    ProjectNotFoundError,
    TaskNotFoundError,
)
from fast_api_template.services.pagination import PageParams
from fast_api_template.services.projects import NewProject, ProjectService
from fast_api_template.services.tasks import NewTask, TaskService

pytestmark = pytest.mark.anyio

FIRST_PAGE = PageParams(limit=20)


@pytest.fixture
async def project_id(projects: ProjectService) -> int:
    project = await projects.create(NewProject(name="Garden"))
    assert project.id is not None
    return project.id


async def add(tasks: TaskService, project_id: int, title: str, *, done: bool = False) -> Task:
    status = TaskStatus.DONE if done else TaskStatus.TODO
    return await tasks.create(project_id, NewTask(title=title, status=status))


async def test_create_adds_the_task_to_the_project(tasks: TaskService, project_id: int) -> None:
    task = await add(tasks, project_id, "Dig")

    assert task.id is not None
    assert (task.project_id, task.title, task.done) == (project_id, "Dig", False)


async def test_archived_project_takes_no_new_task(
    tasks: TaskService, projects: ProjectService, project_id: int, session: AsyncSession
) -> None:
    await projects.archive(project_id)

    with pytest.raises(ProjectArchivedError) as caught:
        await add(tasks, project_id, "Dig")

    assert caught.value.project_id == project_id
    assert (await session.exec(select(Task))).all() == []


async def test_unarchived_project_takes_tasks_again(
    tasks: TaskService, projects: ProjectService, project_id: int
) -> None:
    await projects.archive(project_id)
    project = await projects.get(project_id)
    project.archived = False

    assert (await add(tasks, project_id, "Dig")).id is not None


async def test_tasks_of_others_projects_are_not_found(
    tasks: TaskService, session: AsyncSession, stranger: User
) -> None:
    theirs = await ProjectService(session, actor=stranger).create(NewProject(name="Secret"))
    assert theirs.id is not None
    task = Task(title="Hidden", project_id=theirs.id)
    session.add(task)
    await session.flush()
    assert task.id is not None

    with pytest.raises(ProjectNotFoundError):
        await add(tasks, theirs.id, "Sneak in")
    with pytest.raises(ProjectNotFoundError):
        await tasks.get(theirs.id, task.id)
    with pytest.raises(ProjectNotFoundError):
        await tasks.list_page(theirs.id, FIRST_PAGE)


async def test_a_task_is_found_only_through_its_own_project(
    tasks: TaskService, projects: ProjectService, project_id: int
) -> None:
    task = await add(tasks, project_id, "Dig")
    other = await projects.create(NewProject(name="Kitchen"))
    assert task.id is not None
    assert other.id is not None

    with pytest.raises(TaskNotFoundError) as caught:
        await tasks.get(other.id, task.id)

    assert caught.value.detail == f"Project {other.id} has no task {task.id}."


async def test_list_pages_and_filters_by_done(tasks: TaskService, project_id: int) -> None:
    created = [await add(tasks, project_id, f"Task {n}", done=n % 2 == 0) for n in range(5)]

    first_two = await tasks.list_page(project_id, PageParams(limit=2))
    done = await tasks.list_page(project_id, FIRST_PAGE, done=True)
    open_ = await tasks.list_page(project_id, FIRST_PAGE, done=False)

    assert [task.id for task in first_two.items] == [task.id for task in created[:2]]
    assert first_two.total == 5
    assert [task.title for task in done.items] == ["Task 0", "Task 2", "Task 4"]
    assert [task.title for task in open_.items] == ["Task 1", "Task 3"]


async def test_update_changes_only_the_fields_sent(tasks: TaskService, project_id: int) -> None:
    task = await add(tasks, project_id, "Dig")
    assert task.id is not None

    updated = await tasks.update(project_id, task.id, {"done": True})

    assert (updated.title, updated.done) == ("Dig", True)


async def test_delete_removes_only_that_task(
    tasks: TaskService, project_id: int, session: AsyncSession
) -> None:
    dig = await add(tasks, project_id, "Dig")
    await add(tasks, project_id, "Sow")
    assert dig.id is not None

    await tasks.delete(project_id, dig.id)

    assert (await session.exec(select(Task.title))).all() == ["Sow"]
    with pytest.raises(TaskNotFoundError):
        await tasks.get(project_id, dig.id)


async def test_tasks_stay_when_their_project_is_archived(
    tasks: TaskService, projects: ProjectService, project_id: int, session: AsyncSession
) -> None:
    await add(tasks, project_id, "Dig")

    await projects.archive(project_id)

    assert (await session.exec(select(Project.archived))).all() == [True]
    assert (await tasks.list_page(project_id, FIRST_PAGE)).total == 1
