"""The database: one engine per app, one session and one transaction per request."""

from collections.abc import AsyncIterator
from typing import Any, cast

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

# Registers every table on SQLModel.metadata, for create_tables().
from fast_api_template import models  # noqa: F401
from fast_api_template.config import DatabaseSettings


# --8<-- [start:engine]
def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Create the engine (the connection pool) for the configured database.

    The engine opens no connection yet: the first query does.
    """
    url = make_url(settings.url.get_secret_value())
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, echo=settings.echo)
    return create_async_engine(
        url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
        pool_recycle=settings.pool_recycle,
        # Test each connection as it leaves the pool, so a restarted server costs no request.
        pool_pre_ping=True,
    )


def _create_sqlite_engine(url: URL, *, echo: bool) -> AsyncEngine:
    # A :memory: URL gets SQLAlchemy's StaticPool: one connection, one database per engine.
    engine = create_async_engine(url, echo=echo)
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


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the factory of sessions bound to `engine`."""
    # Objects stay readable after commit: reloading expired attributes would be implicit I/O,
    # which async code cannot do.
    # SQLModel's AsyncSession adds exec(), typed for select() of table models.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_tables(engine: AsyncEngine) -> None:
    """Create the tables that do not exist yet (dev and test only; see app.lifespan)."""
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)


# --8<-- [start:session]
async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Give a request one session in one transaction (see SessionDep in api/deps.py).

    The transaction commits when the endpoint returns and rolls back when it raises.
    """
    session_factory = cast("async_sessionmaker[AsyncSession]", request.app.state.session_factory)
    async with session_factory() as session, session.begin():
        yield session


# --8<-- [end:session]
