"""What endpoints need, provided per request: declare a parameter with one of these types.

FastAPI builds each dependency once per request, so an endpoint that asks for a service and
for the current user gets the service of that user, on the same session.

Every dependency here is `async def`, even those that await nothing: FastAPI runs a plain
`def` dependency in its threadpool, a thread hop per dependency per request, for work that
takes a microsecond. `def` is for work that blocks; none of these does.
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from cashews import Cache
from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Row
from sqlmodel.ext.asyncio.session import AsyncSession
from taskiq import AsyncBroker

from fast_api_template.config import Settings
from fast_api_template.core.audit import SecurityEvent, record
from fast_api_template.core.cache import get_together
from fast_api_template.core.errors import (
    AuthenticationError,
    InvalidTokenError,
    PermissionDeniedError,
)
from fast_api_template.core.jobs import BrokerQueue
from fast_api_template.core.rate_limit import LoginThrottle
from fast_api_template.core.security import AccessClaims, Passwords, decode_access_token
from fast_api_template.db import LazyUnitOfWork, SessionFactory, transaction
from fast_api_template.models import User
from fast_api_template.models.base import MAX_ID, utc_now
from fast_api_template.schemas.fields import Storable
from fast_api_template.schemas.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, CursorPage
from fast_api_template.schemas.problems import Problem
from fast_api_template.services import standing
from fast_api_template.services.auth import AuthService, can_sign_in
from fast_api_template.services.exceptions import InvalidCursorError, UserNotFoundError
from fast_api_template.services.exports import ExportService
from fast_api_template.services.pagination import Keyset, KeysetPage, PageParams
from fast_api_template.services.projects import ProjectService
from fast_api_template.services.tasks import TaskService
from fast_api_template.services.users import UserService
from fast_api_template.utils.cursor import CursorError, decode_cursor, encode_cursor


@dataclass(frozen=True)
class Resources:
    """What every request shares for the life of the app: made at start-up, closed at shutdown.

    One typed object, instead of loose attributes read out of `app.state` with casts.
    """

    settings: Settings
    session_factory: SessionFactory
    passwords: Passwords
    login_throttle: LoginThrottle
    cache: Cache
    broker: AsyncBroker


async def get_resources(request: Request) -> Resources:
    """Return the resources of the app that serves `request`."""
    resources = getattr(request.app.state, "resources", None)
    if not isinstance(resources, Resources):
        msg = "the app has not started: run it with its lifespan"
        raise RuntimeError(msg)
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_app_settings(resources: ResourcesDep) -> Settings:
    """Return the settings that the running app was created with."""
    return resources.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_clock() -> Callable[[], datetime]:
    """Return what tells the time; tests override this dependency to move the clock."""
    return utc_now


# Above its users: every dependency that needs the time asks for `Clock`, so one override of
# `get_clock` moves the time for all of them.
Clock = Annotated[Callable[[], datetime], Depends(get_clock)]


# --8<-- [start:session]
async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """Give a request one session in one transaction (see `db.transaction`).

    Once the transaction has committed, what the services registered to follow it runs (the
    cache made stale, a job queued), as it does for a worker's job or a script.
    """
    async with transaction(resources.session_factory) as session:
        yield session


# scope="function": the session commits before the response is sent, so a failed commit is an
# error response and never a success for data that was not saved.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# --8<-- [end:session]


UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    HTTPStatus.UNAUTHORIZED: {"model": Problem, "description": "No valid access token"}
}


# --8<-- [start:current_user]
# Swagger UI's "Authorize" button logs in here; the tokens work on both versions.
LOGIN_URL = "/api/v2/auth/token"
# Reads "Authorization: Bearer <token>". auto_error=False: a missing token raises the domain
# error below, so that it gets the same problem body as every other error.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=LOGIN_URL, auto_error=False)


async def get_current_user(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    session: SessionDep,
    settings: SettingsDep,
) -> User:
    """Return the user whose access token the request carries.

    Raises:
        AuthenticationError: No token (401).
        InvalidTokenError: The token is invalid or expired; or its user is gone, disabled,
            or logged out everywhere since it was issued (401).

    """
    claims = _claims(token, settings)
    try:
        user = await UserService(session).get(claims.user_id)
    except UserNotFoundError:
        raise InvalidTokenError("The access token is invalid.") from None
    # Checked on every request: a logout everywhere, a disabled account or a cleared
    # password ends every token at once, not when the token expires.
    if not can_sign_in(user) or user.token_version != claims.version:
        raise InvalidTokenError("The access token is no longer valid: log in again.")
    # For the access line (api/middleware.py): who made the request.
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def _claims(token: str | None, settings: Settings) -> AccessClaims:
    if token is None:
        raise AuthenticationError("Send an access token: Authorization: Bearer <token>.")
    keys = settings.security
    return decode_access_token(
        token,
        secret=keys.secret_key.get_secret_value(),
        previous=[key.get_secret_value() for key in keys.previous_secret_keys],
    )


async def require_admin(user: CurrentUser) -> User:
    """Return the current user if they are an administrator.

    Raises:
        PermissionDeniedError: They are not (403: who they are is known, and not enough).

    """
    if not user.is_admin:
        record(SecurityEvent.PERMISSION_DENIED, reason="administrators only", user_id=user.id)
        raise PermissionDeniedError("Only administrators may do this.")
    return user


AdminUser = Annotated[User, Depends(require_admin)]
# --8<-- [end:current_user]


# --8<-- [start:caller]
async def get_claims(
    token: Annotated[str | None, Depends(oauth2_scheme)], settings: SettingsDep
) -> AccessClaims:
    """Return the verified claims of the request's access token; no I/O.

    Raises:
        AuthenticationError: No token (401).
        InvalidTokenError: The token is invalid or expired (401).

    """
    return _claims(token, settings)


Claims = Annotated[AccessClaims, Depends(get_claims)]


@dataclass(frozen=True)
class Caller:
    """Who makes a request, known without reading their row (see services/standing.py)."""

    user_id: int
    is_admin: bool


async def authorize(
    request: Request,
    claims: AccessClaims,
    resources: Resources,
    *also: str,
    unit: LazyUnitOfWork,
) -> tuple[Caller, tuple[object, ...]]:
    """Check the caller's cached standing, and read the keys `also` in the same round trip.

    For hot read-only routes: the checks of `CurrentUser` (a disabled account, a logout
    everywhere), without a query while the standing is cached. One round trip to the
    cache costs more than the rest of such a read: a route reads what it needs with it.

    A standing that is not cached is read in `unit`, the route's unit of work, which opens
    only then. Returns the caller, and what the cache holds under `also`, in order.

    Raises:
        InvalidTokenError: As for `CurrentUser` (401).

    """
    settings = resources.settings
    namespace = settings.redis.key_prefix
    counter, entry, *rest = await get_together(
        resources.cache, *standing.keys(namespace, claims.user_id), *also
    )
    found = await standing.standing_of(
        claims.user_id,
        (counter, entry),
        cache=resources.cache,
        namespace=namespace,
        ttl_seconds=settings.cache.standing_seconds,
        session=unit.session,
    )
    if found is None:
        raise InvalidTokenError("The access token is invalid.")
    if not found.can_sign_in or found.token_version != claims.version:
        raise InvalidTokenError("The access token is no longer valid: log in again.")
    request.state.user_id = found.user_id
    return Caller(user_id=found.user_id, is_admin=found.is_admin), tuple(rest)


# --8<-- [end:caller]


# --8<-- [start:pagination]
async def get_page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most items to return.")] = (
        DEFAULT_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> PageParams:
    """Read the offset pagination parameters of a list request."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(get_page_params)]
# --8<-- [end:pagination]

PageT = TypeVar("PageT", bound=CursorPage[Any])
# A cursor is a few dozen characters; anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 500


@dataclass(frozen=True)
class CursorParams:
    """Where a list resumes (API v2), and how many items a page holds."""

    cursor: str | None
    limit: int
    secret: str

    def position(self, scope: str) -> Keyset | None:
        """Return the position that the cursor carries, or None for the first page.

        Raises:
            InvalidCursorError: The cursor was edited, forged, or issued for another list.

        """
        if self.cursor is None:
            return None
        try:
            data = decode_cursor(self.cursor, scope=scope, secret=self.secret)
        except CursorError as error:
            raise InvalidCursorError(str(error)) from None
        # The signature proves that this service wrote the data, so its shape is known.
        return Keyset(
            created_at=datetime.fromisoformat(str(data["created_at"])), id=int(data["id"])
        )

    # --8<-- [start:validate_page]
    def page(self, result: KeysetPage[Row[Any]], schema: type[PageT], *, scope: str) -> PageT:
        """Shape a service's keyset page as a response (`schema`, e.g. `CursorPage[TaskRead]`).

        The whole page is validated in one call, from the rows' plain dicts: pydantic's core
        loops over the items, instead of one `model_validate` call per item from Python.
        FastAPI does not validate the page again: it is an instance of the response model
        already.
        """
        next_cursor = None
        if result.next_key is not None:
            key = result.next_key
            data: dict[str, str | int] = {"created_at": key.created_at.isoformat(), "id": key.id}
            next_cursor = encode_cursor(data, scope=scope, secret=self.secret)
        # The rows of one page share their column names: read them once, and pair them with
        # each row's values, instead of calling Row._asdict() on each row.
        names = result.items[0]._fields if result.items else ()
        items = [dict(zip(names, row, strict=True)) for row in result.items]
        return schema.model_validate({"items": items, "next_cursor": next_cursor})

    # --8<-- [end:validate_page]


async def get_cursor_params(
    settings: SettingsDep,
    cursor: Annotated[
        Annotated[str, Storable] | None,
        # An empty cursor is refused (422), not read as "no cursor": a client whose template
        # writes the last page's null next_cursor as `cursor=` would otherwise get the first
        # page again, and loop over the list forever. The schema says so: minLength 1.
        Query(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            description="The next_cursor of the previous page; leave it out for the first.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most items to return.")] = (
        DEFAULT_LIMIT
    ),
) -> CursorParams:
    """Read the cursor pagination parameters of a list request (API v2)."""
    return CursorParams(
        cursor=cursor, limit=limit, secret=settings.security.secret_key.get_secret_value()
    )


CursorDep = Annotated[CursorParams, Depends(get_cursor_params)]


# --8<-- [start:services]
async def get_project_service(session: SessionDep, user: CurrentUser) -> ProjectService:
    """Provide the project rules, acting as the current user."""
    return ProjectService(session, actor=user)


ProjectServiceDep = Annotated[ProjectService, Depends(get_project_service)]


async def get_task_service(session: SessionDep, projects: ProjectServiceDep) -> TaskService:
    """Provide the task rules, on the projects that the current user may see."""
    return TaskService(session, projects=projects)


TaskServiceDep = Annotated[TaskService, Depends(get_task_service)]


# --8<-- [end:services]


async def get_passwords(resources: ResourcesDep) -> Passwords:
    """Return the app's password hasher (built once, at start-up)."""
    return resources.passwords


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


async def get_auth_service(
    session: SessionDep,
    resources: ResourcesDep,
    clock: Clock,
) -> AuthService:
    """Provide logins and token rotation."""
    return AuthService(
        session,
        settings=resources.settings.security,
        passwords=resources.passwords,
        throttle=resources.login_throttle,
        clock=clock,
    )


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


async def get_client_address(request: Request) -> str:
    """Return the address of the client, for per-address limits.

    Behind a proxy, name it in `app.trusted_proxies`: the app then reads the client from the
    X-Forwarded-For header of requests that come from it, and from no one else. Start the
    server with `--no-proxy-headers` (`fastapi run` and uvicorn trust 127.0.0.1 otherwise),
    so that only the app decides whom to trust.
    """
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(get_client_address)]


async def count_registration(resources: ResourcesDep, address: ClientAddress) -> None:
    """Count a registration from the client's address; too many in the window is a 429.

    A registration answers 409 when the email is taken, so it tells a caller which emails
    have an account: unavoidable without a confirmation email, and slow once counted.
    """
    await resources.login_throttle.registration(address)


# Routes type ids in their paths too (`/{project_id:int}`): Starlette then matches digits only
# there, so a literal segment (`/projects/summaries`) never reaches an id route, whatever order
# the routes were added in. These aliases add the range, which the path cannot say.
ProjectId = Annotated[int, Path(gt=0, le=MAX_ID, description="The project's id.")]
TaskId = Annotated[int, Path(gt=0, le=MAX_ID, description="The task's id.")]
UserId = Annotated[int, Path(gt=0, le=MAX_ID, description="The user's id.")]


async def get_export_service(
    session: SessionDep, projects: ProjectServiceDep, resources: ResourcesDep
) -> ExportService:
    """Provide the export rules, on the projects that the current user may see."""
    return ExportService(session, projects=projects, queue=BrokerQueue(resources.broker))


ExportServiceDep = Annotated[ExportService, Depends(get_export_service)]
