"""The FastAPI application: the one place where the service is assembled."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

from fast_api_template.api.deps import Resources
from fast_api_template.api.errors import register_error_handlers
from fast_api_template.api.v1.router import router as v1_router
from fast_api_template.api.v2.router import router as v2_router
from fast_api_template.api.versioning import DeprecationMiddleware, add_version_docs
from fast_api_template.config import ConfigurationError, Environment, Settings, get_settings
from fast_api_template.db import create_engine, create_session_factory, create_tables

VERSION = "0.1.0"


class Health(BaseModel):
    """The body of a health check."""

    status: str


router = APIRouter(tags=["health"])


# HEAD too, as load balancers often probe with it (left out of the OpenAPI document, where
# it would repeat GET).
@router.get("/health")
@router.head("/health", include_in_schema=False)
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
        # reach every route (see api/deps.py).
        lifespan=partial(lifespan, settings=settings),
    )
    if settings.cors.allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors.allow_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    register_error_handlers(app)
    app.include_router(router)
    add_versions(app, settings)
    return app


# --8<-- [start:versions]
def add_versions(app: FastAPI, settings: Settings) -> None:
    """Serve API v1 and v2 side by side, each with its own OpenAPI document and docs page."""
    app.include_router(v1_router)
    app.include_router(v2_router)
    add_version_docs(app, prefix="/api/v1", version="v1")
    add_version_docs(app, prefix="/api/v2", version="v2")
    app.add_middleware(
        DeprecationMiddleware,
        prefix="/api/v1",
        successor="/api/v2",
        deprecated_at=settings.api.v1_deprecated_at,
        sunset_at=settings.api.v1_sunset_at,
    )


# --8<-- [end:versions]


def _create_app_or_exit() -> FastAPI:
    try:
        return create_app()
    except ConfigurationError as error:
        # The message names every variable to fix; a traceback would only bury it.
        raise SystemExit(str(error)) from None


# Found by `fastapi dev`/`fastapi run` ([tool.fastapi] in pyproject.toml) and by uvicorn.
app = _create_app_or_exit()
# --8<-- [end:create_app]
