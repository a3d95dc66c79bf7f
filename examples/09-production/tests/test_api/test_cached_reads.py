"""A cached read runs no SQL: the summaries' answer and the caller's standing come from the cache.

And what the cache must not change: a logout everywhere or a disabled account ends access at
once, a planted entry is a miss, and a change made around the app waits for the TTL (the
trade-off that services/standing.py states).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from conftest import resources_of
from fastapi import FastAPI
from pydantic import TypeAdapter
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from statements import recorded_statements

from fast_api_template.api.http_cache import Answers
from fast_api_template.api.v2.endpoints.projects import answer_key
from fast_api_template.db import transaction
from fast_api_template.models import User
from fast_api_template.schemas.pagination import DEFAULT_LIMIT
from fast_api_template.schemas.v2.summaries import ProjectSummaryRead
from fast_api_template.services import standing
from fast_api_template.services.auth import AuthService

pytestmark = pytest.mark.anyio

SUMMARIES = "/api/v2/projects/summaries"
# A CurrentUser route: it reads the user's row on every request.
PROJECTS = "/api/v2/projects"


def engine_of(app: FastAPI) -> AsyncEngine:
    """Return the engine that the app's sessions use."""
    engine = resources_of(app).session_factory.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    return engine


@contextmanager
def checkouts(engine: AsyncEngine) -> Iterator[list[object]]:
    """Record each connection taken from the pool while the block runs."""
    taken: list[object] = []

    def record(*args: object) -> None:
        taken.append(args[0])

    event.listen(engine.sync_engine.pool, "checkout", record)
    try:
        yield taken
    finally:
        event.remove(engine.sync_engine.pool, "checkout", record)


def user_id(user: User) -> int:
    """Return the id of a saved user."""
    assert user.id is not None
    return user.id


async def test_a_cached_read_runs_no_sql_and_takes_no_connection(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.post(PROJECTS, json={"name": "Garden"})
    first = await client.get(SUMMARIES)  # fills the caller's standing and the answer
    engine = engine_of(app)

    with recorded_statements(engine) as statements, checkouts(engine) as taken:
        again = await client.get(SUMMARIES)

    assert again.status_code == 200
    assert again.content == first.content
    assert statements == []
    assert taken == []


async def test_a_miss_reads_the_database(app: FastAPI, client: httpx.AsyncClient) -> None:
    # The other side of the test above: the recorders see a read that is not cached.
    await client.post(PROJECTS, json={"name": "Garden"})
    engine = engine_of(app)

    with recorded_statements(engine) as statements, checkouts(engine) as taken:
        response = await client.get(SUMMARIES)

    assert response.status_code == 200
    assert statements
    # The caller's standing and the summaries both missed: they share one unit of work.
    assert len(taken) == 1


@pytest.mark.sqlite_only
async def test_a_current_copy_gets_304_and_a_changed_one_the_body(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get(SUMMARIES)
    etag = first.headers["etag"]

    same = await client.get(SUMMARIES, headers={"If-None-Match": etag})
    await client.post(PROJECTS, json={"name": "Garden"})
    changed = await client.get(SUMMARIES, headers={"If-None-Match": etag})

    assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", etag)
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert [summary["name"] for summary in changed.json()] == ["Garden"]


@pytest.mark.sqlite_only
async def test_logout_everywhere_ends_cached_reads_at_once(client: httpx.AsyncClient) -> None:
    assert (await client.get(SUMMARIES)).status_code == 200  # the standing is cached now

    assert (await client.post("/api/v2/auth/logout-all")).status_code == 204
    response = await client.get(SUMMARIES)

    assert response.status_code == 401
    assert response.json()["detail"] == "The access token is no longer valid: log in again."


@pytest.mark.sqlite_only
async def test_a_disabled_account_is_refused_on_cached_reads_at_once(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    assert (await client.get(SUMMARIES)).status_code == 200
    resources = resources_of(app)

    # What an administrator's request or a script does: its own unit of work.
    async with transaction(resources.session_factory) as session:
        auth = AuthService(
            session,
            settings=resources.settings.security,
            passwords=resources.passwords,
            throttle=resources.login_throttle,
        )
        await auth.set_active(user_id(user), active=False, by=user)

    assert (await client.get(SUMMARIES)).status_code == 401


@pytest.mark.sqlite_only
async def test_a_change_around_the_app_shows_when_the_standing_expires(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    # The trade-off: SQL by hand does not move the counter, so the cached standing holds
    # until `cache.standing_seconds`; a route that takes CurrentUser sees it at once.
    assert (await client.get(SUMMARIES)).status_code == 200
    async with engine_of(app).begin() as connection:
        statement = text("UPDATE users SET is_active = false WHERE id = :id")
        await connection.execute(statement, {"id": user_id(user)})

    cached = await client.get(SUMMARIES)
    from_the_row = await client.get(PROJECTS)
    resources = resources_of(app)
    namespace = resources.settings.redis.key_prefix
    await resources.cache.delete(standing.entry_key(namespace, user_id(user)))  # it expires
    expired = await client.get(SUMMARIES)

    assert (cached.status_code, from_the_row.status_code, expired.status_code) == (200, 401, 401)


PLANTED = [
    b"not json",
    b"0\nnot json",
    b'0\n[{"id": 1, "name": "Forged", "archived": false, "tasks": {"todo": "x"}}]',
    b'{"generation": 0, "user_id": 1, "is_admin": "yes"}',
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("planted", PLANTED)
async def test_a_planted_answer_or_standing_is_a_miss(
    app: FastAPI, client: httpx.AsyncClient, user: User, planted: bytes
) -> None:
    await client.post(PROJECTS, json={"name": "Garden"})
    resources = resources_of(app)
    namespace = resources.settings.redis.key_prefix
    for key in (
        answer_key(namespace, user_id(user), DEFAULT_LIMIT),
        standing.entry_key(namespace, user_id(user)),
    ):
        await resources.cache.set(key, planted)

    response = await client.get(SUMMARIES)

    assert response.status_code == 200
    assert [summary["name"] for summary in response.json()] == ["Garden"]


@pytest.mark.sqlite_only
async def test_an_answer_changed_in_the_cache_is_a_miss(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    # Signed, then changed by whoever can write to the cache: the signature no longer fits.
    await client.post(PROJECTS, json={"name": "Garden"})
    await client.get(SUMMARIES)
    resources = resources_of(app)
    key = answer_key(resources.settings.redis.key_prefix, user_id(user), DEFAULT_LIMIT)
    entry = await resources.cache.get(key)
    assert isinstance(entry, bytes)
    assert b"Garden" in entry
    await resources.cache.set(key, entry.replace(b"Garden", b"Forged"))

    response = await client.get(SUMMARIES)

    assert [summary["name"] for summary in response.json()] == ["Garden"]


def test_a_new_schema_of_the_answer_reads_none_of_the_old_entries() -> None:
    # A release that changes the body's shape must not serve what the one before cached.
    before = Answers(TypeAdapter(list[ProjectSummaryRead]))
    after = Answers(TypeAdapter(list[ProjectSummaryRead | int]))

    assert before.version != after.version
    assert before.version == Answers(TypeAdapter(list[ProjectSummaryRead])).version
