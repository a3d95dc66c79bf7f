"""Fixtures shared by every test of the service.

Every test that touches the database runs twice, once per backend: `[sqlite]` always, and
`[postgresql]` when `TEST_DATABASE_URL` names a server, for example
`postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/app_test`. The suite never uses that
database itself: it creates a uniquely named one beside it, and drops it at the end, so that
several suites can share one server. With `REQUIRE_SERVICES=1` a missing server fails the
PostgreSQL tests instead of skipping them.

Tests of the login limits run likewise on `[memory]` always, and on `[redis]` when
`TEST_REDIS_URL` names a server, under a key prefix of their own.
"""

import asyncio
import atexit
import gc
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession
from taskiq import InMemoryBroker

from fast_api_template.config import ENV_PREFIX, ENV_VAR, Environment, RedisSettings, Settings

# Importing fast_api_template.app builds the module-level app from the environment, so the
# developer's own FAST_API_TEMPLATE_* variables must be gone before any test module imports it.
for _name in [name for name in os.environ if name.upper().startswith(ENV_PREFIX)]:
    del os.environ[_name]
os.environ[ENV_VAR] = Environment.TEST.value

from fast_api_template.api.deps import Resources  # noqa: E402
from fast_api_template.app import create_app  # noqa: E402
from fast_api_template.core.rate_limit import create_storage  # noqa: E402
from fast_api_template.core.security import Passwords, create_access_token  # noqa: E402
from fast_api_template.db import (  # noqa: E402
    create_engine,
    create_session_factory,
    create_tables,
    transaction,
)
from fast_api_template.models import User  # noqa: E402
from fast_api_template.services.users import UserService  # noqa: E402

# Random, so that no password is written in the code (and linters agree).
PASSWORD = secrets.token_urlsafe(12)
# Every Redis key of this test session starts with it: parallel suites never collide.
REDIS_PREFIX = f"test-{secrets.token_hex(4)}"


# FastAPI keeps route functions in caches of a few thousand entries, and with a function the
# app it refers to: the objects of the apps that tests build pile up, and each full garbage
# collection walks them all. Run full collections a hundred times less often than by default;
# the young generations, where almost all the garbage is, are collected as before.
gc.set_threshold(700, 10, 1000)  # the defaults are 700, 10, 10
# At exit, after pytest's own last collections (which report errors raised in finalizers),
# the interpreter would walk them all again, for seconds: leave them to the operating system.
atexit.register(gc.freeze)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Run async tests and fixtures on asyncio, the loop that uvicorn uses."""
    return "asyncio"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run each test without FAST_API_TEMPLATE_* variables, in an empty working directory.

    The empty directory keeps a developer's own `.env` files out of the tests.
    """
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


# --8<-- [start:databases]
def _postgres_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail("REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set")
    pytest.skip("PostgreSQL: set TEST_DATABASE_URL to run these tests")


def _asyncpg_url(url: str, *, database: str | None = None) -> str:
    # asyncpg takes a plain postgresql:// URL, without SQLAlchemy's "+asyncpg".
    target = make_url(url).set(drivername="postgresql")
    if database is not None:
        target = target.set(database=database)
    return target.render_as_string(hide_password=False)


async def _execute(url: str, statement: str, *, database: str | None = None) -> None:
    # Plain asyncpg: CREATE/DROP DATABASE cannot run inside a transaction.
    connection = await asyncpg.connect(_asyncpg_url(url, database=database))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _create_tables(url: str) -> None:
    engine = create_engine(Settings(env=Environment.TEST, database={"url": url}).database)
    try:
        await create_tables(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a database that only this test session uses, with the tables; drop it after."""
    server_url = _postgres_server_url()
    name = f"{make_url(server_url).database or 'app_test'}_{secrets.token_hex(4)}"
    # Through the server's maintenance database, never the one named in the URL.
    asyncio.run(_execute(server_url, f'CREATE DATABASE "{name}"', database="postgres"))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_create_tables(url))
        yield url
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        asyncio.run(_execute(server_url, drop, database="postgres"))


def _delete_every_row() -> list[str]:
    # DELETE, children first, rather than TRUNCATE: on a few small tables it takes well under
    # a millisecond, where TRUNCATE takes about 20 (it replaces each table's files).
    # The names come from our own models, never from input.
    return [
        f'DELETE FROM "{table.name}"'  # noqa: S608
        for table in reversed(SQLModel.metadata.sorted_tables)
    ]


@pytest.fixture(scope="session")
def empty_postgres(postgres_url: str) -> Iterator[Callable[[], None]]:
    """Give a function that deletes every row of the session's database and restarts its ids."""
    # Ids start at 1 again in every test, as after TRUNCATE ... RESTART IDENTITY.
    restart_ids = "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'"
    # A test that leaves a transaction open would make the DELETE wait forever: fail instead.
    script = "; ".join(["SET lock_timeout = '10s'", *_delete_every_row(), restart_ids])
    # One connection for the whole session, instead of one per test. It belongs to the event
    # loop that opened it, so it gets a loop of its own, kept until the end. loop_factory: a
    # loop that is not made the thread's current one, so the tests' own loops are left alone.
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        connection = runner.run(asyncpg.connect(_asyncpg_url(postgres_url)))

        def empty() -> None:
            runner.run(connection.execute(script))

        try:
            yield empty
        finally:
            runner.run(connection.close())


@pytest.fixture
def emptied_postgres(postgres_url: str, empty_postgres: Callable[[], None]) -> str:
    """The URL of the session's PostgreSQL database, emptied.

    For tests that build settings of their own on it, such as a URL through a proxy.
    """
    empty_postgres()
    return postgres_url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file that the whole test session shares, with the tables created."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    asyncio.run(_create_tables(url))
    return url


def _empty_sqlite(url: str) -> None:
    with sqlite3.connect(str(make_url(url).database)) as connection:
        # A table without AUTOINCREMENT numbers its next row after its largest id: with no
        # rows left, ids start at 1 again.
        for statement in _delete_every_row():
            connection.execute(statement)
    connection.close()


# --8<-- [start:slow]
# What `uv run pytest` leaves out, so that it stays the inner loop of a change: the tests that
# start the service's processes or fuzz its API, a few seconds each. `uv run pytest -m slow`
# runs them; CI runs everything. A test (or a file of tests) that starts a process belongs here.
SLOW = (
    "tests/test_api/test_http_server.py",
    "tests/test_api/test_schema_fuzz.py",
    "tests/test_config.py::test_start_up_fails_with_a_short_message",
    "tests/test_worker.py::test_a_worker_runs_the_job_and_the_job_outlives_the_api",
)


@pytest.hookimpl(tryfirst=True)  # before `-m` picks the tests to run
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that SLOW names (a file, or a file and a test) as slow."""
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


# --8<-- [end:slow]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses a database on both backends, but one marked for one of them.

    A test marked `sqlite_only` is about HTTP (a status code, a header, a document), not the
    database: what the database does is tested on both backends by the tests of the services,
    the models and db.py. A test marked `postgresql_only` is about PostgreSQL itself, such
    as the plans of its query planner.
    """
    if "database_url" not in metafunc.fixturenames:
        return
    backends = ["sqlite", "postgresql"]
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        backends = ["sqlite"]
    if metafunc.definition.get_closest_marker("postgresql_only") is not None:
        backends = ["postgresql"]
    metafunc.parametrize("database_url", backends, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database: the session's SQLite file or PostgreSQL database.

    Each backend's database is made once per test session and emptied before each test,
    which is much cheaper than making a new one each time.
    """
    if request.param == "sqlite":
        sqlite: str = request.getfixturevalue("sqlite_url")
        _empty_sqlite(sqlite)
        return sqlite
    empty: Callable[[], None] = request.getfixturevalue("empty_postgres")
    empty()
    postgres: str = request.getfixturevalue("postgres_url")
    return postgres


# --8<-- [end:databases]


def production_settings() -> Settings:
    """Settings that production accepts: a random secret key, PostgreSQL and Redis on port 9.

    Nothing listens on port 9, so a test that reaches for either by mistake fails.
    """
    return Settings(
        env=Environment.PROD,
        database={"url": "postgresql+asyncpg://app:pw@127.0.0.1:9/app"},
        redis={"url": "redis://:pw@127.0.0.1:9/0"},
        security={"secret_key": secrets.token_urlsafe(32)},
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings of the test environment, on the test's database."""
    return Settings(env=Environment.TEST, database={"url": database_url})


async def insert_user(
    session: AsyncSession, email: str = "ada@example.com", *, is_admin: bool = False
) -> User:
    """Add a user in the session's transaction, flushed so that it has an id."""
    user = User(email=email, is_admin=is_admin)
    session.add(user)
    await session.flush()
    return user


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database, with the tables created."""
    engine = create_engine(settings.database)
    await create_tables(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on the test's database; the test decides when to commit."""
    async with create_session_factory(engine)() as session:
        yield session


# --8<-- [start:apps]
class AppPool:
    """Apps built once per distinct settings, each with its lifespan running until the end.

    FastAPI prepares an app's routes on its first request, which costs more than most tests
    do. A test asks for an app with its settings and gets one that has done that already,
    reset to how it started: the database is emptied by `database_url`.
    """

    def __init__(self, stack: AsyncExitStack) -> None:
        self._stack = stack
        self._apps: list[tuple[Settings, FastAPI, Resources, int]] = []

    async def get(self, settings: Settings) -> FastAPI:
        """Return the started app for `settings`, reset, building it on first use."""
        for known, app, resources, _routes in self._apps:
            if known == settings:
                app.dependency_overrides.clear()
                app.state.resources = resources  # a test may have swapped it
                await resources.login_throttle.reset()  # no failed login carries over
                await resources.cache.clear()  # no cached read carries over
                return app
        app = create_app(settings)
        await self._stack.enter_async_context(app.router.lifespan_context(app))
        self._apps.append((settings, app, app.state.resources, len(app.routes)))
        return app

    def check_unchanged(self) -> None:
        """Fail a test that added routes to a shared app: it must use `make_app`."""
        for _settings, app, _resources, routes in self._apps:
            assert len(app.routes) == routes, "a test changed a shared app: use make_app"


@pytest.fixture(scope="session")
async def app_pool() -> AsyncIterator[AppPool]:
    """The apps that tests share; their lifespans end with the test session."""
    async with AsyncExitStack() as stack:
        yield AppPool(stack)


@pytest.fixture
async def app(settings: Settings, app_pool: AppPool) -> AsyncIterator[FastAPI]:
    """An app on the test's database, with its lifespan running, shared with other tests."""
    yield await app_pool.get(settings)
    app_pool.check_unchanged()


AppFactory = Callable[[Settings], Awaitable[FastAPI]]


@pytest.fixture
async def make_app() -> AsyncIterator[AppFactory]:
    """Build apps of the test's own, to change them (add routes): `await make_app(settings)`."""
    async with AsyncExitStack() as stack:

        async def make(settings: Settings) -> FastAPI:
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            return app

        yield make


# --8<-- [end:apps]


def resources_of(app: FastAPI) -> Resources:
    """Return the typed resources of a started app."""
    resources = app.state.resources
    assert isinstance(resources, Resources)
    return resources


def make_client(app: FastAPI, *, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """An HTTP client that calls the app in-process, from `address`."""
    # raise_app_exceptions=False: an unhandled error becomes the 500 a real client would get.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def add_user(
    app: FastAPI, email: str, *, is_admin: bool = False, password: str = PASSWORD
) -> User:
    """Register a user, committed, as the API would."""
    resources = resources_of(app)
    async with transaction(resources.session_factory) as session:
        user = await UserService(session).register(email, password, resources.passwords)
        user.is_admin = is_admin
    return user


def bearer(app: FastAPI, user: User) -> dict[str, str]:
    """The Authorization header of a fresh access token for `user`."""
    settings = resources_of(app).settings
    assert user.id is not None
    token = create_access_token(
        user.id,
        version=user.token_version,
        secret=settings.security.secret_key.get_secret_value(),
        lifetime=settings.security.access_token_lifetime,
    )
    return {"Authorization": f"Bearer {token}"}


UserFactory = Callable[..., Awaitable[User]]
HeadersFactory = Callable[[User], dict[str, str]]


@pytest.fixture
def password() -> str:
    """The password of every user that the tests register."""
    return PASSWORD


@pytest.fixture
def make_user(app: FastAPI) -> UserFactory:
    """Register users in the app's database: `await make_user(email, is_admin=False)`."""

    async def make(email: str, *, is_admin: bool = False) -> User:
        return await add_user(app, email, is_admin=is_admin)

    return make


@pytest.fixture
def auth_headers(app: FastAPI) -> HeadersFactory:
    """Build the Authorization header of a fresh access token: `auth_headers(user)`."""
    return lambda user: bearer(app, user)


@pytest.fixture
async def user(app: FastAPI) -> User:
    """The user that `client` acts as."""
    return await add_user(app, "ada@example.com")


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client without credentials."""
    async with make_client(app) as client:
        yield client


@pytest.fixture
async def client(app: FastAPI, user: User) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client logged in as `user`."""
    async with make_client(app) as client:
        client.headers.update(bearer(app, user))
        yield client


def redis_url() -> str:
    """The URL of the Redis server for the tests, or skip (fail with REQUIRE_SERVICES=1)."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        return url
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail("REQUIRE_SERVICES=1 but TEST_REDIS_URL is not set")
    pytest.skip("Redis: set TEST_REDIS_URL to run these tests")


@pytest.fixture(params=["memory", "redis"])
async def redis_settings(request: pytest.FixtureRequest) -> AsyncIterator[RedisSettings]:
    """Where login counters live: this process's memory, or Redis under a fresh prefix."""
    if request.param == "memory":
        yield RedisSettings()
        return
    redis = RedisSettings(url=redis_url(), key_prefix=key_prefix())
    yield redis
    await create_storage(redis).reset()  # deletes this test's keys, and only those


def key_prefix() -> str:
    """A key prefix that no other test uses."""
    return f"{REDIS_PREFIX}-{secrets.token_hex(4)}"


@pytest.fixture
def passwords(settings: Settings) -> Passwords:
    """The password hasher, with the cheap costs of the test settings."""
    return Passwords(settings.security)


# Seconds that a test waits at most for the jobs that an app runs in-process.
JOBS_TIMEOUT = 10.0


async def wait_for_jobs(app: FastAPI) -> None:
    """Wait until the jobs that the app's in-process broker started have finished."""
    broker = resources_of(app).broker
    assert isinstance(broker, InMemoryBroker), "only an in-process broker runs jobs here"
    await asyncio.wait_for(broker.wait_all(), JOBS_TIMEOUT)


@pytest.fixture
async def jobs_finish(app: FastAPI) -> AsyncIterator[None]:
    """Let the jobs that a test queued finish before the next test empties the database.

    A job still running holds SQLite's write lock, which the emptying would wait for.
    """
    yield
    await wait_for_jobs(app)
