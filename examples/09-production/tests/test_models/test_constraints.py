"""The database itself enforces the rules that must hold whatever code writes to it."""

import pytest
from conftest import insert_user
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import Project, Task, User

pytestmark = pytest.mark.anyio


async def add_project(session: AsyncSession, owner: User, name: str = "Garden") -> Project:
    assert owner.id is not None
    project = Project(name=name, owner_id=owner.id)
    session.add(project)
    await session.flush()
    return project


async def count(session: AsyncSession, model: type[SQLModel]) -> int:
    return (await session.exec(select(func.count()).select_from(model))).one()


async def test_project_name_is_unique_per_owner(session: AsyncSession) -> None:
    owner = await insert_user(session)
    await add_project(session, owner, "Garden")

    with pytest.raises(IntegrityError, match=r"(?i)unique"):
        await add_project(session, owner, "Garden")


async def test_other_owners_may_use_the_same_name(session: AsyncSession) -> None:
    ada = await insert_user(session, "ada@example.com")
    grace = await insert_user(session, "grace@example.com")

    await add_project(session, ada, "Garden")
    await add_project(session, grace, "Garden")

    assert await count(session, Project) == 2


async def test_email_is_unique(session: AsyncSession) -> None:
    await insert_user(session, "ada@example.com")

    with pytest.raises(IntegrityError, match=r"(?i)unique"):
        await insert_user(session, "ada@example.com")


async def test_task_needs_an_existing_project(session: AsyncSession) -> None:
    session.add(Task(title="Water the plants", project_id=12345))

    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        await session.flush()


async def test_project_needs_an_existing_owner(session: AsyncSession) -> None:
    session.add(Project(name="Orphan", owner_id=12345))

    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        await session.flush()


async def test_deleting_a_project_deletes_its_tasks_in_the_database(
    session: AsyncSession,
) -> None:
    project = await add_project(session, await insert_user(session))
    assert project.id is not None
    session.add_all([Task(title=title, project_id=project.id) for title in ("Dig", "Sow")])
    await session.flush()

    # A bulk delete bypasses the ORM: only ON DELETE CASCADE removes the tasks.
    await session.exec(delete(Project).where(col(Project.id) == project.id))

    assert await count(session, Task) == 0


async def test_deleting_a_project_object_deletes_its_tasks(session: AsyncSession) -> None:
    project = await add_project(session, await insert_user(session))
    assert project.id is not None
    session.add(Task(title="Dig", project_id=project.id))
    await session.flush()

    await session.delete(project)
    await session.flush()

    assert await count(session, Task) == 0


async def test_deleting_a_user_deletes_their_projects(session: AsyncSession) -> None:
    owner = await insert_user(session)
    await add_project(session, owner)

    await session.delete(owner)
    await session.flush()

    assert await count(session, Project) == 0


def test_constraints_have_predictable_names() -> None:
    projects = SQLModel.metadata.tables["projects"]
    tasks = SQLModel.metadata.tables["tasks"]

    assert {constraint.name for constraint in projects.constraints} == {
        "pk_projects",
        "fk_projects_owner_id_users",
        "uq_projects_owner_id_name",
    }
    assert {index.name for index in projects.indexes} == {
        "ix_projects_owner_id",
        "ix_projects_owner_id_archived",
    }
    assert {index.name for index in tasks.indexes} == {
        "ix_tasks_project_id",
        "ix_tasks_project_id_status",
    }
