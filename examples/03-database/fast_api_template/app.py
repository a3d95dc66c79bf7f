"""The FastAPI application: the one place where the service is assembled."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, cast

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

from fast_api_template.config import ConfigurationError, Environment, Settings, get_settings
from fast_api_template.db import create_engine, create_session_factory, create_tables

VERSION = "0.1.0"


class Health(BaseModel):
    """The body of a health check."""

    status: str


# --8<-- [start:settings_dep]
def app_settings(request: Request) -> Settings:
    """Return the settings that the running app was created with."""
    return cast("Settings", request.app.state.settings)


SettingsDep = Annotated[Settings, Depends(app_settings)]
# --8<-- [end:settings_dep]


router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> Health:
    """Tell a load balancer or a person that the process answers."""
    return Health(status="ok")


# --8<-- [start:lifespan]
@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database pool at start-up and close it at shutdown."""
    settings: Settings = app.state.settings
    engine = create_engine(settings.database)
    app.state.session_factory = create_session_factory(engine)
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
        title=settings.app.name, version=VERSION, debug=settings.app.debug, lifespan=lifespan
    )
    # Routes read settings from here (see SettingsDep), so a test's settings reach them too.
    app.state.settings = settings
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
