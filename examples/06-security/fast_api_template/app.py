"""The FastAPI application: the one place where the service is assembled."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from fast_api_template.api.deps import Resources
from fast_api_template.api.errors import UnhandledErrorMiddleware, register_error_handlers
from fast_api_template.api.v1.router import router as v1_router
from fast_api_template.api.v2.router import router as v2_router
from fast_api_template.api.versioning import DeprecationMiddleware, add_version_docs
from fast_api_template.config import ConfigurationError, Environment, Settings, get_settings
from fast_api_template.core.headers import SecurityHeadersMiddleware
from fast_api_template.core.rate_limit import LoginThrottle, create_storage
from fast_api_template.core.security import Passwords
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
    """Open the database pool and the login counters at start-up; close the pool at shutdown."""
    engine = create_engine(settings.database)
    app.state.resources = Resources(
        settings=settings,
        session_factory=create_session_factory(engine),
        # Built once per process: the hasher hashes a dummy password when it is made.
        passwords=Passwords(settings.security),
        login_throttle=LoginThrottle(create_storage(settings.redis), settings.security),
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
    public = settings.app.public_docs
    app = FastAPI(
        title=settings.app.name,
        version=VERSION,
        debug=settings.app.debug,
        # Closed in production unless a setting opens them (app.public_docs).
        docs_url="/docs" if public else None,
        redoc_url="/redoc" if public else None,
        openapi_url="/openapi.json" if public else None,
        # The lifespan builds the app's Resources from these settings, so a test's settings
        # reach every route (see api/deps.py).
        lifespan=partial(lifespan, settings=settings),
    )
    # Added first, so it is the innermost: every answer, a bug's 500 included, passes
    # through the middleware added after it (CORS, deprecation, security headers).
    app.add_middleware(UnhandledErrorMiddleware)
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
    add_security_headers(app, settings)
    if settings.app.trusted_proxies:
        # Outermost: every layer inside sees the client that the proxy names.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.app.trusted_proxies)
    return app


# --8<-- [start:versions]
def add_versions(app: FastAPI, settings: Settings) -> None:
    """Serve API v1 and v2 side by side, each with its own OpenAPI document and docs page."""
    app.include_router(v1_router)
    app.include_router(v2_router)
    if settings.app.public_docs:
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


def add_security_headers(app: FastAPI, settings: Settings) -> None:
    """Send browser security headers with every response; added last, so it wraps the rest."""
    docs_pages = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    docs_pages |= {f"{prefix}/docs" for prefix in ("/api/v1", "/api/v2")}
    app.add_middleware(
        SecurityHeadersMiddleware,
        docs_paths={page for page in docs_pages if page},
        # HTTPS is certain only in production; HSTS sent over plain HTTP in dev would be
        # ignored, and one sent to localhost by mistake is a nuisance for months.
        hsts=settings.env is Environment.PROD,
    )


def _create_app_or_exit() -> FastAPI:
    try:
        return create_app()
    except ConfigurationError as error:
        # The message names every variable to fix; a traceback would only bury it.
        raise SystemExit(str(error)) from None


# Found by `fastapi dev`/`fastapi run` ([tool.fastapi] in pyproject.toml) and by uvicorn.
app = _create_app_or_exit()
# --8<-- [end:create_app]
