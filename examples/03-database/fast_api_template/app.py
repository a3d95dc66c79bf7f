"""The FastAPI application: the one place where the service is assembled."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.config import ConfigurationError, Environment, Settings, get_settings
from fast_api_template.db import (
    SessionFactory,
    create_engine,
    create_session_factory,
    create_tables,
    transaction,
)

VERSION = "0.1.0"


class Health(BaseModel):
    """The body of a health check."""

    status: str


# --8<-- [start:resources]
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
# --8<-- [end:resources]


# --8<-- [start:settings_dep]
def app_settings(resources: ResourcesDep) -> Settings:
    """Return the settings that the running app was created with."""
    return resources.settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
# --8<-- [end:settings_dep]


# --8<-- [start:session]
async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """Give a request one session in one transaction (see `db.transaction`)."""
    async with transaction(resources.session_factory) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is an error
# response and never a success for data that was not saved.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# --8<-- [end:session]


router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> Health:
    """Tell a load balancer or a person that the process answers."""
    return Health(status="ok")


# --8<-- [start:lifespan]
@asynccontextmanager
async def lifespan(app: FastAPI, *, settings: Settings) -> AsyncIterator[None]:
    """Open the database pool at start-up and close it at shutdown."""
    engine = create_engine(settings.database)
    app.state.resources = Resources(
        settings=settings, session_factory=create_session_factory(engine)
    )
    try:
        if settings.env is not Environment.PROD:
            # Convenient in dev and test. Production schemas change only through migrations
            # (stage 09), never as a side effect of starting a process.
            await create_tables(engine)
        yield
    finally:
        await engine.dispose()


# --8<-- [end:lifespan]


# --8<-- [start:create_app]
def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from `settings`, or from the environment when none are given.

    Raises:
        ConfigurationError: the environment holds a malformed or unsafe setting.

    """
    settings = settings or get_settings()
    app = FastAPI(
        title=settings.app.name,
        version=VERSION,
        debug=settings.app.debug,
        # The lifespan builds the app's Resources from these settings, so a test's settings
        # reach every route.
        lifespan=partial(lifespan, settings=settings),
    )
    if settings.cors.allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors.allow_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.include_router(router)
    return app


def _create_app_or_exit() -> FastAPI:
    try:
        return create_app()
    except ConfigurationError as error:
        # The message names every variable to fix; a traceback would only bury it.
        raise SystemExit(str(error)) from None


# Found by `fastapi dev`/`fastapi run` ([tool.fastapi] in pyproject.toml) and by uvicorn.
app = _create_app_or_exit()
# --8<-- [end:create_app]
