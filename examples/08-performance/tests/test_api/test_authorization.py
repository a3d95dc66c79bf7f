"""Who may call what: every route of the API, for every kind of caller.

The routes are read from the app itself, so a new route fails this test until someone decides
who may call it and writes that down in EXPECTED.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from conftest import PASSWORD, resources_of
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.api.versioning import api_routes
from fast_api_template.app import create_app
from fast_api_template.config import Environment, Settings
from fast_api_template.models import User
from fast_api_template.models.base import utc_now
from fast_api_template.models.domain.export_job import ExportStatus
from fast_api_template.services.auth import AuthService
from fast_api_template.services.exports import ExportQuota, ExportService
from fast_api_template.services.projects import NewProject, ProjectService
from fast_api_template.services.tasks import NewTask, TaskService

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

UserFactory = Callable[..., Awaitable[User]]
HeadersFactory = Callable[[User], dict[str, str]]


@dataclass
class World:
    """What one attempt needs: the owner's fresh project, task and export, and login."""

    role: str
    owner: User
    password: str
    project_id: int
    task_id: int
    refresh_token: str
    job_id: str = ""


Body = Callable[[World], dict[str, Any]]
ROLES = ("anonymous", "owner", "other", "admin")


@dataclass(frozen=True)
class Expect:
    """The status code that each kind of caller gets from a route."""

    anonymous: int
    owner: int
    other: int
    admin: int
    json: Body | None = field(default=None)
    form: Body | None = field(default=None)


def expected(version: str) -> dict[tuple[str, str], Expect]:
    """Who may call each route of one version: another user's project is a 404, not a 403."""
    api = f"/api/{version}"
    project = f"{api}/projects/{{project_id}}"
    task = f"{project}/tasks/{{task_id}}"
    public = Expect(200, 200, 200, 200)
    return {
        ("GET", f"{api}/projects"): Expect(401, 200, 200, 200),
        ("POST", f"{api}/projects"): Expect(
            401, 201, 201, 201, json=lambda world: {"name": f"New for {world.role}"}
        ),
        ("GET", project): Expect(401, 200, 404, 200),
        ("PATCH", project): Expect(401, 200, 404, 200, json=lambda _: {"description": "New"}),
        ("DELETE", project): Expect(401, 204, 404, 204),
        ("POST", f"{project}/archive"): Expect(401, 200, 404, 200),
        ("GET", f"{project}/tasks"): Expect(401, 200, 404, 200),
        ("POST", f"{project}/tasks"): Expect(401, 201, 404, 201, json=lambda _: {"title": "New"}),
        ("GET", task): Expect(401, 200, 404, 200),
        ("PATCH", task): Expect(401, 200, 404, 200, json=lambda _: {"title": "Changed"}),
        ("DELETE", task): Expect(401, 204, 404, 204),
        ("POST", f"{api}/users"): Expect(
            201,
            201,
            201,
            201,
            json=lambda world: {"email": f"new-{world.role}@example.com", "password": PASSWORD},
        ),
        ("GET", f"{api}/users/me"): Expect(401, 200, 200, 200),
        # Users are not secret from each other by id; reading them is an admin's right: 403.
        ("GET", f"{api}/users/{{user_id}}"): Expect(401, 403, 403, 200),
        ("POST", f"{api}/auth/token"): Expect(
            200,
            200,
            200,
            200,
            form=lambda world: {"username": world.owner.email, "password": world.password},
        ),
        ("POST", f"{api}/auth/refresh"): Expect(
            200, 200, 200, 200, json=lambda world: {"refresh_token": world.refresh_token}
        ),
        # A logout needs only the refresh token it ends, and says nothing about it: 204.
        ("POST", f"{api}/auth/logout"): Expect(
            204, 204, 204, 204, json=lambda world: {"refresh_token": world.refresh_token}
        ),
        ("POST", f"{api}/auth/logout-all"): Expect(401, 204, 204, 204),
        ("PATCH", f"{api}/users/{{user_id}}"): Expect(
            401, 403, 403, 200, json=lambda _: {"is_active": True}
        ),
        ("GET", f"{api}/openapi.json"): public,
        ("GET", f"{api}/docs"): public,
    }


EXPECTED = (
    expected("v1")
    | expected("v2")
    | {
        # Everyone sees the summaries of their own projects, an administrator included.
        ("GET", "/api/v2/projects/summaries"): Expect(401, 200, 200, 200),
        # An export, new in v2, is its requester's; an admin sees every one.
        ("POST", "/api/v2/projects/{project_id}/exports"): Expect(401, 202, 404, 202),
        ("GET", "/api/v2/exports/{job_id}"): Expect(401, 200, 404, 200),
        ("GET", "/api/v2/exports/{job_id}/file"): Expect(401, 200, 404, 200),
    }
)

# --8<-- [start:served]
# Built once, to list the routes: FastAPI adds routes when the app is made, not at start-up.
SERVED = sorted(
    (method, route.path_format)
    for route in api_routes(create_app(Settings(env=Environment.TEST)))
    if route.path_format and route.path_format.startswith("/api/")
    for method in route.methods or ()
)
# --8<-- [end:served]


def test_every_expectation_is_a_served_route() -> None:
    assert set(EXPECTED) - set(SERVED) == set()


async def prepare(app: FastAPI, owner: User, password: str, *, login: bool) -> dict[str, World]:
    """Give the owner, for each caller's attempt, a new project with a task and a new login."""
    worlds = {}
    async with resources_of(app).session_factory() as session, session.begin():
        projects = ProjectService(session, actor=owner)
        tasks = TaskService(session, projects=projects)
        auth = get_auth_service(app, session)
        for role in ROLES:
            project = await projects.create(NewProject(name=f"Project for {role}"))
            assert project.id is not None
            task = await tasks.create(project.id, NewTask(title="Dig"))
            assert task.id is not None
            refresh_token = ""
            if login:
                pair = await auth.login(owner.email, password, address="127.0.0.1")
                refresh_token = pair.refresh_token
            job_id = await finished_export(session, projects, project.id)
            worlds[role] = World(role, owner, password, project.id, task.id, refresh_token, job_id)
    return worlds


# Room for every role's export: the quota is not what these tests are about.
QUOTA = ExportQuota(per_user=100, keep_for=timedelta(days=1))


class NoWorker:
    """A queue that no worker reads: the test finishes the job itself."""

    async def put_export(self, job_id: uuid.UUID) -> None:
        """Queue nothing."""


NO_WORKER = NoWorker()


async def finished_export(session: AsyncSession, projects: ProjectService, project_id: int) -> str:
    """Add an export of the project, done, as a worker leaves it."""
    exports = ExportService(session, projects, NO_WORKER)
    job = (await exports.request(project_id, quota=QUOTA)).job
    job.status, job.result, job.finished_at = ExportStatus.DONE, "id\r\n", utc_now()
    return str(job.id)


def get_auth_service(app: FastAPI, session: AsyncSession) -> AuthService:
    settings: Settings = resources_of(app).settings
    return AuthService(
        session,
        settings=settings.security,
        passwords=resources_of(app).passwords,
        throttle=resources_of(app).login_throttle,
    )


# --8<-- [start:matrix]
@pytest.mark.usefixtures("jobs_finish")  # the exports that the POSTs queue
@pytest.mark.parametrize(("method", "path"), SERVED, ids=[" ".join(route) for route in SERVED])
async def test_each_caller_gets_what_they_may(
    app: FastAPI,
    user: User,
    make_user: UserFactory,
    auth_headers: HeadersFactory,
    password: str,
    method: str,
    path: str,
) -> None:
    expect = EXPECTED.get((method, path))
    if expect is None:
        pytest.fail(f"{method} {path} is served, but EXPECTED does not say who may call it")
    callers = {
        "anonymous": {},
        "owner": auth_headers(user),
        "other": auth_headers(await make_user("eve@example.com")),
        "admin": auth_headers(await make_user("root@example.com", is_admin=True)),
    }
    worlds = await prepare(
        app, user, password, login=path.endswith(("/auth/refresh", "/auth/logout"))
    )
    outcomes = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for role, headers in callers.items():
            world = worlds[role]
            url = path.format(
                project_id=world.project_id,
                task_id=world.task_id,
                user_id=user.id,
                job_id=world.job_id,
            )
            response = await client.request(
                method,
                url,
                headers=headers,
                json=expect.json(world) if expect.json else None,
                data=expect.form(world) if expect.form else None,
            )
            outcomes[role] = response.status_code

    assert outcomes == {
        "anonymous": expect.anonymous,
        "owner": expect.owner,
        "other": expect.other,
        "admin": expect.admin,
    }


# --8<-- [end:matrix]
