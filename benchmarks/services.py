"""The database and the Redis that the servers under test use, made fresh for each run.

PostgreSQL when `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` is set: a new database on that
server, dropped at the end. Otherwise a SQLite file in the run's temporary folder. Redis when
`BENCH_REDIS_URL` or `TEST_REDIS_URL` is set, under a key prefix of the run's own.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg
    from sqlalchemy.engine import URL

DATABASE_VARIABLES = ("BENCH_DATABASE_URL", "TEST_DATABASE_URL")
REDIS_VARIABLES = ("BENCH_REDIS_URL", "TEST_REDIS_URL")
# Where CREATE DATABASE and DROP DATABASE are sent from: every PostgreSQL server has it.
MAINTENANCE_DATABASE = "postgres"


@dataclass(frozen=True)
class Database:
    """The database of one run."""

    url: str  # SQLAlchemy URL with an async driver; may hold a password: never printed
    kind: str  # "postgresql" or "sqlite"
    version: str

    def describe(self) -> str:
        """Say which database the run used, without its URL."""
        if self.kind == "postgresql":
            return f"PostgreSQL {self.version}, a database created for this run and dropped after"
        return f"SQLite {self.version}, a file in the run's temporary folder"


@dataclass(frozen=True)
class Redis:
    """The Redis of one run."""

    url: str
    version: str
    key_prefix: str

    def describe(self) -> str:
        """Say which Redis the run used, without its URL."""
        return f"Redis {self.version}, keys under the run's own prefix, deleted after"


def first_variable(names: tuple[str, ...]) -> str | None:
    """Return the value of the first of these environment variables that is set."""
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


@contextmanager
def fresh_database(run_id: str, workdir: Path, *, allow_postgres: bool) -> Iterator[Database]:
    """Yield a database that nothing else uses, and remove it afterwards."""
    configured = first_variable(DATABASE_VARIABLES) if allow_postgres else None
    if configured is None:
        path = workdir / "benchmark.db"
        yield Database(
            url=f"sqlite+aiosqlite:///{path}", kind="sqlite", version=sqlite3.sqlite_version
        )
        return
    # Imported only when used: they take a second to load, which a smoke run need not pay.
    from sqlalchemy.engine import make_url

    server = make_url(configured).set(drivername="postgresql+asyncpg")
    name = f"benchmark_{run_id}"
    version = asyncio.run(_create_database(server, name))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        yield Database(url=url, kind="postgresql", version=version)
    finally:
        asyncio.run(_drop_database(server, name))


async def _connect(server: URL) -> asyncpg.Connection:
    import asyncpg

    return await asyncpg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        database=MAINTENANCE_DATABASE,
    )


async def _create_database(server: URL, name: str) -> str:
    connection = await _connect(server)
    try:
        # The name is ours (a fixed prefix and hex digits): nothing to inject.
        await connection.execute(f'CREATE DATABASE "{name}"')
        version: str = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return version.split()[0]


async def _drop_database(server: URL, name: str) -> None:
    connection = await _connect(server)
    try:
        # FORCE: a server that did not stop cleanly may still hold a connection.
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@contextmanager
def fresh_redis(run_id: str, *, allow: bool) -> Iterator[Redis | None]:
    """Yield the configured Redis with a key prefix of this run, or None; delete its keys after."""
    url = first_variable(REDIS_VARIABLES) if allow else None
    if url is None:
        yield None
        return
    import redis

    client = redis.Redis.from_url(url)
    try:
        version = str(client.info("server")["redis_version"])
        prefix = f"benchmark-{run_id}"
        yield Redis(url=url, version=version, key_prefix=prefix)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
    finally:
        client.close()
