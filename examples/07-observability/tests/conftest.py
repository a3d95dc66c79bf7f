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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.config import ENV_PREFIX, ENV_VAR, Environment, RedisSettings, Settings

# Importing fast_api_template.app builds the module-level app from the environment, so the
# developer's own FAST_API_TEMPLATE_* variables must be gone before any test module imports it.
for _name in [name for name in os.environ if name.upper().startswith(ENV_PREFIX)]:
    del os.environ[_name]
os.environ[ENV_VAR] = Environment.TEST.value

from fast_api_template.app import create_app  # noqa: E402
from fast_api_template.core.rate_limit import create_storage  # noqa: E402
from fast_api_template.core.security import Passwords, create_access_token  # noqa: E402
from fast_api_template.db import create_engine, create_session_factory, create_tables  # noqa: E402
from fast_api_template.models import User  # noqa: E402
from fast_api_template.services.users import UserService  # noqa: E402

# Random, so that no password is written in the code (and linters agree).
PASSWORD = secrets.token_urlsafe(12)
# Every Redis key of this test session starts with it: parallel suites never collide.
REDIS_PREFIX = f"test-{secrets.token_hex(4)}"


# Every test builds an app of its own. FastAPI keeps route functions in caches of a few
# thousand entries, and with a function the app it refers to: the objects of earlier tests
# pile up, by the million in the later stages, and each full garbage collection walks them
# all, in up to half a second. Run full collections a hundred times less often than by
# default; the young generations, where almost all the garbage is, are collected as before.
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


@pytest.fixture(scope="session")
def empty_postgres(postgres_url: str) -> Iterator[Callable[[], None]]:
    """Give a function that deletes every row of the session's database and restarts its ids."""
    # DELETE, children first, rather than TRUNCATE: on a few small tables it takes well under
    # a millisecond, where TRUNCATE takes about 20 (it replaces each table's files).
    tables = reversed(SQLModel.metadata.sorted_tables)
    # The names come from our own models, never from input.
    deletes = [f'DELETE FROM "{table.name}"' for table in tables]  # noqa: S608
    # Ids start at 1 again in every test, as after TRUNCATE ... RESTART IDENTITY.
    restart_ids = "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'"
    script = "; ".join([*deletes, restart_ids])
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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a new SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    empty: Callable[[], None] = request.getfixturevalue("empty_postgres")
    empty()
    url: str = request.getfixturevalue("postgres_url")
    return url


# --8<-- [end:databases]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings of the test environment, on the test's database."""
    return Settings(env=Environment.TEST, database={"url": database_url})


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


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """A fresh app on the test's database, with its lifespan running."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def make_client(app: FastAPI, *, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """An HTTP client that calls the app in-process, from `address`."""
    # raise_app_exceptions=False: an unhandled error becomes the 500 a real client would get.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def add_user(
    app: FastAPI, email: str, *, is_admin: bool = False, password: str = PASSWORD
) -> User:
    """Register a user, committed, as the API would."""
    async with app.state.session_factory() as session, session.begin():
        user = await UserService(session).register(email, password, app.state.passwords)
        user.is_admin = is_admin
    return user


def bearer(app: FastAPI, user: User) -> dict[str, str]:
    """The Authorization header of a fresh access token for `user`."""
    settings: Settings = app.state.settings
    assert user.id is not None
    token = create_access_token(
        user.id,
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


# --8<-- [start:redis]
def _redis_server_url() -> str:
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
    redis = RedisSettings(
        url=_redis_server_url(), key_prefix=f"{REDIS_PREFIX}-{secrets.token_hex(4)}"
    )
    yield redis
    await create_storage(redis).reset()  # deletes this test's keys, and only those


# --8<-- [end:redis]


@pytest.fixture
def passwords(settings: Settings) -> Passwords:
    """The password hasher, with the cheap costs of the test settings."""
    return Passwords(settings.security)
