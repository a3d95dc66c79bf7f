"""What endpoints need, provided per request: declare a parameter with one of these types.

FastAPI builds each dependency once per request, so an endpoint that asks for a service and
for the current user gets the service of that user, on the same session.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.config import Settings
from fast_api_template.db import SessionFactory, transaction
from fast_api_template.models import User
from fast_api_template.schemas.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from fast_api_template.services.pagination import PageParams
from fast_api_template.services.projects import ProjectService
from fast_api_template.services.tasks import TaskService
from fast_api_template.services.users import UserService

# Ids are PostgreSQL `integer` columns: a larger id cannot exist, and would fail as a query
# parameter, so it is refused with a 422 before it gets that far.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Resources:
    """What every request shares for the life of the app: made at start-up, closed at shutdown.

    One typed object, instead of loose attributes read out of `app.state` with casts.
    """

    settings: Settings
    session_factory: SessionFactory


def get_resources(request: Request) -> Resources:
    """Return the resources of the app that serves `request`."""
    resources = getattr(request.app.state, "resources", None)
    if not isinstance(resources, Resources):
        msg = "the app has not started: run it with its lifespan"
        raise RuntimeError(msg)
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_app_settings(resources: ResourcesDep) -> Settings:
    """Return the settings that the running app was created with."""
    return resources.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """Give a request one session in one transaction (see `db.transaction`)."""
    async with transaction(resources.session_factory) as session:
        yield session


# scope="function": the session commits before the response is sent, so a failed commit is an
# error response and never a success for data that was not saved.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


# --8<-- [start:current_user]
DEMO_USER_EMAIL = "demo@example.com"


async def get_current_user(session: SessionDep) -> User:
    """Return the user on whose behalf the request acts.

    A stand-in until stage 06 adds authentication: every request acts as one demo user,
    created on first use. Stage 06 replaces this function with one that reads the user from
    the access token; the endpoints and services that ask for `CurrentUser` stay as they are.
    """
    return await UserService(session).get_or_create(DEMO_USER_EMAIL)


CurrentUser = Annotated[User, Depends(get_current_user)]
# --8<-- [end:current_user]


# --8<-- [start:pagination]
def get_page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most items to return.")] = (
        DEFAULT_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> PageParams:
    """Read the offset pagination parameters of a list request."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(get_page_params)]
# --8<-- [end:pagination]


# --8<-- [start:services]
def get_project_service(session: SessionDep, user: CurrentUser) -> ProjectService:
    """Provide the project rules, acting as the current user."""
    return ProjectService(session, owner=user)


ProjectServiceDep = Annotated[ProjectService, Depends(get_project_service)]


def get_task_service(session: SessionDep, projects: ProjectServiceDep) -> TaskService:
    """Provide the task rules, on the projects that the current user may see."""
    return TaskService(session, projects=projects)


TaskServiceDep = Annotated[TaskService, Depends(get_task_service)]
# --8<-- [end:services]

# Routes type ids in their paths too (`/{project_id:int}`): Starlette then matches digits only
# there, so a literal segment (`/projects/summaries`) never reaches an id route, whatever order
# the routes were added in. These aliases add the range, which the path cannot say.
ProjectId = Annotated[int, Path(gt=0, le=MAX_ID, description="The project's id.")]
TaskId = Annotated[int, Path(gt=0, le=MAX_ID, description="The task's id.")]
