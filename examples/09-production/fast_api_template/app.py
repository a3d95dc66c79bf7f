"""The FastAPI application: the one place where the service is assembled."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from fast_api_template.api.deps import Resources
from fast_api_template.api.errors import (
    REQUEST_ID_HEADER,
    register_error_handlers,
)
from fast_api_template.api.health import PROBE_PATHS
from fast_api_template.api.health import router as health_router
from fast_api_template.api.middleware import EdgeMiddleware, GuardMiddleware
from fast_api_template.api.v1.router import router as v1_router
from fast_api_template.api.v2.router import router as v2_router
from fast_api_template.api.versioning import Deprecation, add_version_docs
from fast_api_template.config import ConfigurationError, Environment, Settings, get_settings
from fast_api_template.core.cache import close_cache, create_cache
from fast_api_template.core.headers import SecurityHeaders
from fast_api_template.core.jobs import create_broker
from fast_api_template.core.logging import configure_logging
from fast_api_template.core.rate_limit import LoginThrottle, create_storage
from fast_api_template.core.security import Passwords
from fast_api_template.db import create_engine, create_session_factory
from fast_api_template.services.standing import cache_info
from fast_api_template.worker import register_jobs

VERSION = "0.1.0"


# --8<-- [start:lifespan]
@asynccontextmanager
async def lifespan(app: FastAPI, *, settings: Settings) -> AsyncIterator[None]:
    """Open the pools (database, cache, queue) at start-up; close them at shutdown."""
    # Again at start-up: a server (`fastapi run`) may have set up logging its own way since.
    configure_logging(settings.log.level, json_logs=settings.log.format == "json")
    engine = create_engine(settings.database)
    cache = create_cache(settings)
    # Every commit of the app's units of work, a job's included, refreshes what it changed
    # in the cache: the owner's summaries, the user's standing.
    session_factory = create_session_factory(engine, info=cache_info(cache, settings))
    broker = create_broker(settings)
    register_jobs(broker, session_factory=session_factory, settings=settings)
    app.state.resources = Resources(
        settings=settings,
        session_factory=session_factory,
        # Built once per process: the hasher hashes a dummy password when it is made.
        passwords=Passwords(settings.security),
        login_throttle=LoginThrottle(create_storage(settings.redis), settings.security),
        cache=cache,
        broker=broker,
    )
    # No tables are made here, in any environment: the schema changes only through the
    # migrations (`alembic upgrade head`), never as a side effect of starting a process.
    try:
        await broker.startup()
        yield
    finally:
        await broker.shutdown()
        await close_cache(cache)
        await engine.dispose()


# --8<-- [end:lifespan]


# --8<-- [start:create_app]
def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from `settings`, or from the environment when none are given.

    Raises:
        ConfigurationError: the environment holds a malformed or unsafe setting.

    """
    settings = settings or get_settings()
    configure_logging(settings.log.level, json_logs=settings.log.format == "json")
    # No FastAPI(debug=...): Starlette's traceback page would replace the problem details;
    # settings.app.debug decides what a 500 answer says instead (api/errors.py).
    public = settings.app.public_docs
    app = FastAPI(
        title=settings.app.name,
        version=VERSION,
        # Closed in production unless a setting opens them (app.public_docs).
        docs_url="/docs" if public else None,
        redoc_url="/redoc" if public else None,
        openapi_url="/openapi.json" if public else None,
        # The lifespan builds the app's Resources from these settings, so a test's settings
        # reach every route (see api/deps.py).
        lifespan=partial(lifespan, settings=settings),
    )
    register_error_handlers(app)
    app.include_router(health_router)
    add_versions(app, settings)
    add_middleware(app, settings)
    return app


# --8<-- [start:middleware]
def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Wrap the app in its middleware, from the innermost to the outermost.

    A middleware added later wraps those added before it. So the guard's answers, the 500 of
    a bug and the 413 of a body too large, go out through every layer after it: they carry
    the CORS headers, and the edge gives them the request id, the security and deprecation
    headers, and an access line, as it does for every other answer. Without CORS, two layers.
    """
    app.add_middleware(
        GuardMiddleware, max_body_size=settings.app.max_body_size, debug=settings.app.debug
    )
    if settings.cors.allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors.allow_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            # Lets a browser's script read the id, to quote it in a bug report.
            expose_headers=[REQUEST_ID_HEADER],
        )
    app.add_middleware(
        EdgeMiddleware,
        security=security_headers(app, settings),
        deprecations=[v1_deprecation(settings)],
        # A probe's access line at DEBUG, unless log.probe_access: HAProxy asks every 2 s.
        quiet_paths=frozenset() if settings.log.probe_access else PROBE_PATHS,
    )
    if settings.app.trusted_proxies:
        # Outermost: every layer inside sees the client that the proxy names.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.app.trusted_proxies)


# --8<-- [end:middleware]


# --8<-- [start:versions]
def add_versions(app: FastAPI, settings: Settings) -> None:
    """Serve API v1 and v2 side by side, each with its own OpenAPI document and docs page."""
    # The current version first: FastAPI tries routes in order, and most requests are for it.
    app.include_router(v2_router)
    app.include_router(v1_router)
    if settings.app.public_docs:
        add_version_docs(app, prefix="/api/v1", version="v1")
        add_version_docs(app, prefix="/api/v2", version="v2")


def v1_deprecation(settings: Settings) -> Deprecation:
    """Mark every v1 answer as deprecated, with its sunset date and successor."""
    return Deprecation(
        prefix="/api/v1",
        successor="/api/v2",
        deprecated_at=settings.api.v1_deprecated_at,
        sunset_at=settings.api.v1_sunset_at,
    )


# --8<-- [end:versions]


def security_headers(app: FastAPI, settings: Settings) -> SecurityHeaders:
    """Say which browser security headers the app's responses get."""
    docs_pages = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    docs_pages |= {f"{prefix}/docs" for prefix in ("/api/v1", "/api/v2")}
    return SecurityHeaders(
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
