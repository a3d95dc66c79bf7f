"""The database: one engine per app, one session and one transaction per unit of work."""

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Final

from sqlalchemy import event, exc, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlmodel.ext.asyncio.session import AsyncSession

# Imports every table model, so that their relationships resolve whichever one a query names.
from fast_api_template import models  # noqa: F401
from fast_api_template.config import DatabaseSettings
from fast_api_template.utils.retries import STARTUP_WAIT_SECONDS, wait_until_up

SessionFactory = async_sessionmaker[AsyncSession]
"""What opens sessions on one engine: `async with factory() as session`."""

DATABASE_UNAVAILABLE: Final[tuple[type[Exception], ...]] = (
    OSError,  # refused, reset or timed out: the driver's own connection errors
    exc.TimeoutError,  # no free connection in the pool within pool_timeout
    exc.OperationalError,  # the server shut down, restarted, or is out of connections
    exc.InterfaceError,  # the connection broke while in use
)
"""What the database raises when it is down, hung or overloaded, rather than a bug."""


# --8<-- [start:engine]
def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Create the engine (the connection pool) for the configured database.

    The engine opens no connection yet: the first query does. Every wait on the database is
    bounded by a setting, so a database that is down or hung costs a request seconds, not
    minutes: a free connection (`pool_timeout`), a new one (`connect_timeout`) and a statement
    (`statement_timeout`).
    """
    url = make_url(settings.url.get_secret_value())
    # A failed statement's message shows its SQL and, unless hidden, its parameters: an
    # email, a password hash. Only `echo`, which prod refuses, shows them.
    hide_parameters = not settings.echo
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(
            url,
            echo=settings.echo,
            hide_parameters=hide_parameters,
            pool_timeout=settings.pool_timeout,
        )
    return create_async_engine(
        url,
        echo=settings.echo,
        hide_parameters=hide_parameters,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
        pool_recycle=settings.pool_recycle,
        # Test each connection as it leaves the pool, so a restarted server costs no request.
        pool_pre_ping=True,
        connect_args={
            "timeout": settings.connect_timeout,
            # The server cancels a statement that runs too long; the driver gives up a little
            # later (a second, or twice the timeout below one), for a server that does not
            # answer at all.
            "server_settings": {"statement_timeout": str(int(settings.statement_timeout * 1000))},
            "command_timeout": settings.statement_timeout + min(1.0, settings.statement_timeout),
        },
    )


def _create_sqlite_engine(
    url: URL, *, echo: bool, hide_parameters: bool, pool_timeout: float
) -> AsyncEngine:
    pool: dict[str, Any] = {}
    if url.database in (None, "", ":memory:"):
        # An in-memory database lives in its one connection. SQLAlchemy's default for it lends
        # that connection to every session at once, so two transactions would run on it
        # together, and hang. A pool of exactly one lends it to one unit of work at a time;
        # the others wait their turn, up to pool_timeout, as SQLite's one writer makes them.
        pool = {
            "poolclass": AsyncAdaptedQueuePool,
            "pool_size": 1,
            "max_overflow": 0,
            "pool_timeout": pool_timeout,
        }
    engine = create_async_engine(url, echo=echo, hide_parameters=hide_parameters, **pool)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The sqlite3 driver starts a transaction only at the first write, so the reads before it
    # and any SAVEPOINT would run outside the transaction. Let SQLAlchemy emit BEGIN instead.
    dbapi_connection.isolation_level = None
    # SQLite ignores foreign keys, and so ON DELETE CASCADE, unless each connection asks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    # SQLite has one writer at a time. Taking the write lock at BEGIN makes a transaction wait
    # its turn (up to the driver's 5 s timeout) instead of failing halfway, when two
    # transactions that both read first both try to write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# --8<-- [end:engine]


def create_session_factory(
    engine: AsyncEngine, *, info: Mapping[str, object] | None = None
) -> SessionFactory:
    """Create the factory of sessions bound to `engine`.

    Args:
        engine: The database.
        info: What every session of the factory carries in `session.info`, such as the cache
            that its commits make stale (see `services.summaries.SummaryCache`).

    """
    # Objects stay readable after commit: reloading expired attributes would be implicit I/O,
    # which async code cannot do.
    # SQLModel's AsyncSession adds exec(), typed for select() of table models.
    return async_sessionmaker(
        engine, class_=AsyncSession, expire_on_commit=False, info=dict(info or {})
    )


# --8<-- [start:wait_for_database]
async def wait_for_database(engine: AsyncEngine, *, within: float = STARTUP_WAIT_SECONDS) -> None:
    """Wait until the database answers, for `within` seconds at most: at start-up only.

    Raises:
        OSError: or another of `DATABASE_UNAVAILABLE`, when it still does not answer.

    """

    async def select_one() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    await wait_until_up("database", select_one, errors=DATABASE_UNAVAILABLE, within=within)


# --8<-- [end:wait_for_database]


# --8<-- [start:schema_revision]
SCHEMA_REVISION: Final = "0002"
"""The newest migration under `migrations/versions/`: the schema that this code was written for.

A test fails when it is not the head of the migrations, and says what to write here.
"""


async def schema_revision(connection: AsyncConnection) -> str | None:
    """Return the revision that Alembic recorded in the database; None before the first one.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: no migration ever ran there (no `alembic_version`).

    """
    result = await connection.execute(text("SELECT version_num FROM alembic_version"))
    # One row on a linear history; the numbered revisions sort in order.
    return max(result.scalars(), default=None)


def is_behind(revision: str | None) -> bool:
    """Whether a database at `revision` lacks migrations that this code needs.

    A later revision is fine: a release's migrations keep the release before it working
    (add first, remove a release later), so that its replicas serve on through a rolling update.
    """
    return revision is None or revision < SCHEMA_REVISION


# --8<-- [end:schema_revision]


# --8<-- [start:transaction]
@asynccontextmanager
async def transaction(session_factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """Open one session in one transaction: the unit of work.

    The transaction commits when the block ends and rolls back when it raises. Then the hooks
    that the services registered with `on_commit` run, for what was committed only. A request
    gets one through its session dependency (`SessionDep`); a script or a background job
    opens one the same way, with no web framework involved, and gets the same hooks.
    """
    async with session_factory() as session:
        try:
            async with session.begin():
                yield session
        finally:
            # Inside the session: a hook may open a transaction of its own on it.
            await run_after_commit(session)


# --8<-- [end:transaction]


class LazyUnitOfWork:
    """A unit of work (`transaction`) that opens when first asked for its session.

    For a read that may need no database at all, such as a cached one: nothing is opened
    unless a step of it misses the cache, and the steps that miss share one transaction.
    """

    def __init__(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory
        self._stack = AsyncExitStack()
        self._session: AsyncSession | None = None

    async def session(self) -> AsyncSession:
        """Return the unit's session, opening its transaction on the first call."""
        if self._session is None:
            self._session = await self._stack.enter_async_context(
                transaction(self._session_factory)
            )
        return self._session

    async def __aenter__(self) -> "LazyUnitOfWork":
        """Open nothing yet."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Commit the transaction if one was opened, or roll it back if the block raised."""
        await self._stack.__aexit__(*exc_info)  # type: ignore[arg-type]


# --8<-- [start:on_commit]
AfterCommit = Callable[[], Awaitable[None]]
"""Work that must follow a commit: cached reads made stale, a job queued for a saved row."""
_PENDING: Final = "unit_of_work.pending"
_COMMITTED: Final = "unit_of_work.committed"


def on_commit(
    session: AsyncSession | Session, hook: AfterCommit, *, key: Hashable | None = None
) -> None:
    """Run `hook` once the unit of work of `session` has committed; never if it rolls back.

    Services register here what must follow their writes, so that a request, a worker's job
    and a script get it alike, from `transaction`. Before the commit would be too early: a
    read in between would cache the old data again, and a worker could look for a row that
    is not there yet. Register once the write has succeeded: a hook registered inside a
    savepoint (`begin_nested`) that rolls back still runs if the transaction commits.

    Args:
        session: The unit of work (or its sync session, in an ORM event listener).
        hook: What to run, awaited after the commit, in the order of registration.
        key: Registers the hook once per unit of work, however many writes ask for it.

    """
    pending: dict[Hashable, AfterCommit] = session.info.setdefault(_PENDING, {})
    pending.setdefault(object() if key is None else key, hook)


@event.listens_for(Session, "after_commit")
def _commit_pending(session: Session) -> None:
    # The database has the data: the hooks of what it committed are due.
    committed = session.info.setdefault(_COMMITTED, {})
    for key, hook in session.info.pop(_PENDING, {}).items():
        committed.setdefault(key, hook)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    # What was rolled back never happened: nothing may follow it.
    session.info.pop(_PENDING, None)


async def run_after_commit(session: AsyncSession) -> None:
    """Run the hooks of what `session` committed, once each, then forget them.

    Each hook runs even when one before it failed; the first failure is raised after them
    all, so that a request that needed the hook's work answers with its error.
    """
    hooks: dict[Hashable, AfterCommit] = session.info.pop(_COMMITTED, {})
    failures: list[Exception] = []
    for hook in hooks.values():
        try:
            await hook()
        except Exception as error:
            # Raised below, once the others have run: one failure must not skip them.
            failures.append(error)
    if failures:
        raise failures[0]


# --8<-- [end:on_commit]
