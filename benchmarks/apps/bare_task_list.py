"""One project's tasks, first page, written as one function: the baseline of `task_list`.

It does the work that the stage's `GET /api/v2/projects/{project_id}/tasks` does, and nothing
else: the same bearer-token check (PyJWT, HS256, the key that the token's `kid` header names,
the same required claims and secret; then the account enabled, with a password, and at the
token's version, its `ver` claim; a verified token kept, its expiry checked on each
request, as the stage keeps it), the same SQL statements against the same tables in one
transaction (the user by id, the project's id by id and owner, one page of tasks by
`(created_at, id)` with one row more than asked, through a SQLAlchemy engine with the stage's
pool settings), and the same JSON body, byte for byte. No middleware, no dependency injection,
no ORM objects and no response model: the runner checks that both bodies are identical before
it measures either.

Settings, from the environment: `BENCH_APP_DATABASE_URL` (a SQLAlchemy async URL),
`BENCH_APP_SECRET_KEY` (the stage's secret key), and `BENCH_APP_DATABASE_ECHO=1` to log each
statement, as the stage's `database.echo` does, for the runner to compare.
"""

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import jwt
import pydantic_core
from fastapi import FastAPI, Path, Query, Request, Response
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    event,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DATABASE_URL = os.environ["BENCH_APP_DATABASE_URL"]
SECRET_KEY = os.environ["BENCH_APP_SECRET_KEY"]
ECHO = os.environ.get("BENCH_APP_DATABASE_ECHO") == "1"
MAX_ID = 2**31 - 1
MAX_LIMIT = 100
# The stage names its signing key in each token's `kid` header: the start of its SHA-256.
KEY_ID = hashlib.sha256(SECRET_KEY.encode()).hexdigest()[:16]
SUBJECT = re.compile(r"[1-9][0-9]{0,9}", flags=re.ASCII)

# The columns in the order that the stage's models declare them, so that the statements are
# the same text, and PostgreSQL sees the same queries.
metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("id", Integer, primary_key=True),
    Column("email", String),
    Column("hashed_password", String),
    Column("is_admin", Boolean),
    Column("is_active", Boolean),
    Column("token_version", Integer),
)
projects = Table(
    "projects",
    metadata,
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("id", Integer, primary_key=True),
    Column("name", String),
    Column("description", String),
    Column("archived", Boolean),
    Column("owner_id", Integer),
)
tasks = Table(
    "tasks",
    metadata,
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("id", Integer, primary_key=True),
    Column("title", String),
    Column("status", String),
    Column("project_id", Integer),
)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the engine as the stage does with its default settings.

    On PostgreSQL: the same pool, the same check of each connection as it leaves the pool,
    and the same timeouts. On SQLite: the same connection set-up and `BEGIN IMMEDIATE`.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=5,
        max_overflow=10,
        pool_timeout=30,
        pool_recycle=1800,
        pool_pre_ping=True,
        # The stage's bounds on each wait: a new connection, and each statement.
        connect_args={
            "timeout": 5.0,
            "server_settings": {"statement_timeout": "15000"},
            "command_timeout": 16.0,
        },
    )


def _configure_sqlite(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


engine = create_engine(DATABASE_URL, echo=ECHO)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Close the pool at shutdown."""
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


def _problem(status: int, detail: str) -> Response:
    return Response(json.dumps({"detail": detail}), status, media_type="application/json")


def _claims(authorization: str | None) -> tuple[int, int] | None:
    """Return the user id and token version of a valid access token, as the stage checks it."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    verified = _verified(token)
    # As the stage: a token's verification is kept, its expiry checked on every request.
    if verified is None or verified[2] <= time.time():
        return None
    return verified[0], verified[1]


@functools.lru_cache(maxsize=4096)
def _verified(token: str) -> tuple[int, int, float] | None:
    try:
        if jwt.get_unverified_header(token).get("kid") != KEY_ID:
            return None
        claims = jwt.decode(
            token,
            SECRET_KEY,
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "sub", "jti", "type", "ver"]},
        )
    except jwt.PyJWTError:
        return None
    subject, version = claims["sub"], claims["ver"]
    if claims["type"] != "access" or type(version) is not int:
        return None
    if not isinstance(subject, str) or not SUBJECT.fullmatch(subject) or int(subject) > MAX_ID:
        return None
    return int(subject), version, float(claims["exp"])


def _utc(value: datetime) -> datetime:
    # SQLite gives naive timestamps, stored in UTC; PostgreSQL gives aware ones.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _cursor(created_at: datetime, task_id: int, scope: str) -> str:
    """Sign the position of the last task, exactly as the stage's cursors are signed."""
    key = hmac.new(SECRET_KEY.encode(), b"pagination-cursor", hashlib.sha256).digest()
    payload = json.dumps(
        {"scope": scope, "created_at": created_at.isoformat(), "id": task_id},
        separators=(",", ":"),
    ).encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()
    return ".".join(
        base64.urlsafe_b64encode(part).rstrip(b"=").decode("ascii") for part in (payload, signature)
    )


@app.get("/api/v2/projects/{project_id}/tasks")
async def list_tasks(
    request: Request,
    project_id: Annotated[int, Path(gt=0, le=MAX_ID)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> Response:
    """Return the first page of a project's tasks to its owner (or an admin)."""
    claims = _claims(request.headers.get("authorization"))
    if claims is None:
        return _problem(401, "The access token is invalid.")
    user_id, version = claims
    async with engine.begin() as connection:
        user = (await connection.execute(select(users).where(users.c.id == user_id))).first()
        if user is None:
            return _problem(401, "The access token is invalid.")
        if not user.is_active or user.hashed_password is None or user.token_version != version:
            return _problem(401, "The access token is no longer valid: log in again.")
        query = select(projects.c.id).where(projects.c.id == project_id)
        if not user.is_admin:
            query = query.where(projects.c.owner_id == user_id)
        if (await connection.execute(query)).first() is None:
            return _problem(404, "No such project.")
        rows = (
            await connection.execute(
                select(tasks)
                .where(tasks.c.project_id == project_id)
                .order_by(tasks.c.created_at, tasks.c.id)
                .limit(limit + 1)
            )
        ).all()
    page = rows[:limit]
    items = [
        {
            "id": row.id,
            "project_id": row.project_id,
            "title": row.title,
            "status": row.status,
            "created_at": _utc(row.created_at),
            "updated_at": _utc(row.updated_at),
        }
        for row in page
    ]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = _cursor(_utc(last.created_at), last.id, f"projects/{project_id}/tasks")
    body = pydantic_core.to_json({"items": items, "next_cursor": next_cursor})
    return Response(body, media_type="application/json")
