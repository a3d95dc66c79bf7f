"""The project rules, without HTTP."""

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import Project, Task, User
from fast_api_template.services.exceptions import (
    DuplicateProjectNameError,
    ProjectNotFoundError,
)
from fast_api_template.services.pagination import PageParams
from fast_api_template.services.projects import NewProject, ProjectService

pytestmark = pytest.mark.anyio

FIRST_PAGE = PageParams(limit=20)


async def create(projects: ProjectService, name: str, description: str | None = None) -> Project:
    return await projects.create(NewProject(name=name, description=description))


def ids(projects: list[Project]) -> list[int | None]:
    return [project.id for project in projects]


async def test_create_gives_the_project_to_its_owner(projects: ProjectService, owner: User) -> None:
    project = await create(projects, "Garden", "Vegetables")

    assert project.id is not None
    assert (project.name, project.description) == ("Garden", "Vegetables")
    assert project.owner_id == owner.id
    assert project.archived is False


async def test_name_is_unique_per_owner(projects: ProjectService) -> None:
    await create(projects, "Garden")

    with pytest.raises(DuplicateProjectNameError) as caught:
        await create(projects, "Garden")

    assert caught.value.name == "Garden"


async def test_a_refused_name_leaves_the_transaction_usable(
    projects: ProjectService, session: AsyncSession
) -> None:
    first = await create(projects, "Garden")
    with pytest.raises(DuplicateProjectNameError):
        await create(projects, "Garden")

    second = await create(projects, "Kitchen")

    stored = await session.exec(select(Project.name).order_by(Project.name))
    assert stored.all() == ["Garden", "Kitchen"]
    assert second.id != first.id


async def test_another_owner_may_use_the_same_name(
    projects: ProjectService, session: AsyncSession, stranger: User
) -> None:
    await create(projects, "Garden")

    theirs = await create(ProjectService(session, actor=stranger), "Garden")

    assert theirs.owner_id == stranger.id


async def test_projects_of_others_are_not_found(
    projects: ProjectService, session: AsyncSession, stranger: User
) -> None:
    theirs = await create(ProjectService(session, actor=stranger), "Secret")
    assert theirs.id is not None

    with pytest.raises(ProjectNotFoundError):
        await projects.get(theirs.id)
    with pytest.raises(ProjectNotFoundError):
        await projects.update(theirs.id, {"name": "Mine now"})
    with pytest.raises(ProjectNotFoundError):
        await projects.archive(theirs.id)
    with pytest.raises(ProjectNotFoundError):
        await projects.delete(theirs.id)
    assert (await projects.list_page(FIRST_PAGE)).total == 0


async def test_missing_project_is_not_found(projects: ProjectService) -> None:
    with pytest.raises(ProjectNotFoundError) as caught:
        await projects.get(12345)

    assert caught.value.detail == "There is no project 12345."


async def test_list_pages_through_the_owners_projects_oldest_first(
    projects: ProjectService,
) -> None:
    created = [await create(projects, f"Project {number}") for number in range(5)]

    page = await projects.list_page(PageParams(limit=2, offset=2))

    assert ids(page.items) == ids(created[2:4])
    assert (page.total, page.limit, page.offset) == (5, 2, 2)


async def test_list_past_the_end_is_empty(projects: ProjectService) -> None:
    await create(projects, "Garden")

    page = await projects.list_page(PageParams(limit=10, offset=10))

    assert page.items == []
    assert page.total == 1


async def test_list_filters_by_archived(projects: ProjectService) -> None:
    active = await create(projects, "Active")
    archived = await create(projects, "Old")
    assert archived.id is not None
    await projects.archive(archived.id)

    assert ids((await projects.list_page(FIRST_PAGE, archived=True)).items) == [archived.id]
    assert ids((await projects.list_page(FIRST_PAGE, archived=False)).items) == [active.id]
    assert (await projects.list_page(FIRST_PAGE)).total == 2


async def test_list_filters_by_name_in_any_case(projects: ProjectService) -> None:
    garden = await create(projects, "Garden")
    await create(projects, "Kitchen")

    page = await projects.list_page(FIRST_PAGE, name_contains="GARD")

    assert ids(page.items) == [garden.id]
    assert page.total == 1


async def test_name_filter_matches_wildcards_literally(projects: ProjectService) -> None:
    discount = await create(projects, "50% off")
    await create(projects, "500 days")

    page = await projects.list_page(FIRST_PAGE, name_contains="0%")

    assert ids(page.items) == [discount.id]


async def test_update_changes_only_the_fields_sent(projects: ProjectService) -> None:
    project = await create(projects, "Garden", "Vegetables")
    assert project.id is not None

    updated = await projects.update(project.id, {"name": "Orchard"})

    assert (updated.name, updated.description) == ("Orchard", "Vegetables")


async def test_update_clears_the_description_when_sent_as_null(
    projects: ProjectService,
) -> None:
    project = await create(projects, "Garden", "Vegetables")
    assert project.id is not None

    updated = await projects.update(project.id, {"description": None})

    assert updated.description is None


async def test_update_refuses_a_name_in_use(projects: ProjectService) -> None:
    await create(projects, "Garden")
    kitchen = await create(projects, "Kitchen")
    assert kitchen.id is not None

    with pytest.raises(DuplicateProjectNameError):
        await projects.update(kitchen.id, {"name": "Garden"})


async def test_update_may_keep_the_same_name(projects: ProjectService) -> None:
    project = await create(projects, "Garden")
    assert project.id is not None

    updated = await projects.update(project.id, {"name": "Garden", "archived": True})

    assert (updated.name, updated.archived) == ("Garden", True)


async def test_archive_twice_is_harmless(projects: ProjectService) -> None:
    project = await create(projects, "Garden")
    assert project.id is not None

    await projects.archive(project.id)
    archived = await projects.archive(project.id)

    assert archived.archived is True


async def test_delete_removes_the_project_and_its_tasks(
    projects: ProjectService, session: AsyncSession
) -> None:
    project = await create(projects, "Garden")
    assert project.id is not None
    session.add(Task(title="Dig", project_id=project.id))
    await session.flush()

    await projects.delete(project.id)

    with pytest.raises(ProjectNotFoundError):
        await projects.get(project.id)
    assert (await session.exec(select(Task))).all() == []


async def test_the_owner_must_be_saved_first(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="must be saved"):
        ProjectService(session, actor=User(email="new@example.com"))


# Administrators see and change every project (stage 06).


async def test_an_admin_sees_and_changes_every_project(
    session: AsyncSession, owner: User, admin: User
) -> None:
    theirs = await ProjectService(session, actor=owner).create(NewProject(name="Garden"))
    assert theirs.id is not None
    as_admin = ProjectService(session, actor=admin)

    listed = await as_admin.list_page(FIRST_PAGE)
    renamed = await as_admin.update(theirs.id, {"name": "Orchard"})

    assert [project.name for project in listed.items] == ["Orchard"]
    assert (renamed.name, renamed.owner_id) == ("Orchard", owner.id)


async def test_an_admins_new_project_is_their_own(session: AsyncSession, admin: User) -> None:
    project = await ProjectService(session, actor=admin).create(NewProject(name="Ops"))

    assert project.owner_id == admin.id
