"""Services are tested without HTTP: a session, a user, and the service under test."""

import pytest
from conftest import insert_user
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import User
from fast_api_template.services.projects import ProjectService
from fast_api_template.services.tasks import TaskService


@pytest.fixture
async def owner(session: AsyncSession) -> User:
    """The acting user."""
    return await insert_user(session, "ada@example.com")


@pytest.fixture
async def stranger(session: AsyncSession) -> User:
    """Another user, whose projects the acting user must not see."""
    return await insert_user(session, "eve@example.com")


@pytest.fixture
async def admin(session: AsyncSession) -> User:
    """An administrator, who sees every project."""
    return await insert_user(session, "root@example.com", is_admin=True)


@pytest.fixture
def projects(session: AsyncSession, owner: User) -> ProjectService:
    """The project rules, acting as `owner`."""
    return ProjectService(session, actor=owner)


@pytest.fixture
def tasks(session: AsyncSession, projects: ProjectService) -> TaskService:
    """The task rules, on the projects of `owner`."""
    return TaskService(session, projects=projects)
