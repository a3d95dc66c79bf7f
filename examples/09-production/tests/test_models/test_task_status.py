"""A task stores a status; `done`, API v1's view of it, is computed from it and back."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import Project, Task, User
from fast_api_template.models.domain.task import TaskStatus


@pytest.mark.parametrize(
    ("status", "done"),
    [(TaskStatus.TODO, False), (TaskStatus.DOING, False), (TaskStatus.DONE, True)],
)
def test_done_is_read_from_the_status(status: TaskStatus, done: bool) -> None:
    assert Task(title="Dig", project_id=1, status=status).done is done


@pytest.mark.parametrize(
    ("before", "done", "after"),
    [
        (TaskStatus.TODO, True, TaskStatus.DONE),
        (TaskStatus.DOING, True, TaskStatus.DONE),
        (TaskStatus.DONE, True, TaskStatus.DONE),
        (TaskStatus.TODO, False, TaskStatus.TODO),
        (TaskStatus.DOING, False, TaskStatus.DOING),
        (TaskStatus.DONE, False, TaskStatus.TODO),
    ],
)
def test_setting_done_sets_the_status(before: TaskStatus, done: bool, after: TaskStatus) -> None:
    task = Task(title="Dig", project_id=1, status=before)

    task.done = done

    assert task.status is after


def test_a_new_task_is_todo() -> None:
    assert Task(title="Dig", project_id=1).status is TaskStatus.TODO


def test_status_is_a_checked_string_column() -> None:
    tasks = SQLModel.metadata.tables["tasks"]

    assert "ck_tasks_status" in {constraint.name for constraint in tasks.constraints}
    assert "done" not in tasks.columns


async def project_id(session: AsyncSession) -> int:
    user = User(email="ada@example.com")
    session.add(user)
    await session.flush()
    assert user.id is not None
    project = Project(name="Garden", owner_id=user.id)
    session.add(project)
    await session.flush()
    assert project.id is not None
    return project.id


@pytest.mark.anyio
async def test_the_value_is_stored_not_the_name(session: AsyncSession) -> None:
    session.add(Task(title="Dig", project_id=await project_id(session), status=TaskStatus.DOING))
    await session.flush()

    connection = await session.connection()
    stored = await connection.execute(text("SELECT status FROM tasks"))

    assert stored.scalar_one() == "doing"


@pytest.mark.anyio
async def test_the_database_refuses_an_unknown_status(session: AsyncSession) -> None:
    insert = text(
        "INSERT INTO tasks (title, status, project_id, created_at, updated_at) "
        "VALUES ('Dig', 'later', :project_id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )

    values = {"project_id": await project_id(session)}
    connection = await session.connection()

    with pytest.raises(IntegrityError, match=r"(?i)check"):
        await connection.execute(insert, values)
