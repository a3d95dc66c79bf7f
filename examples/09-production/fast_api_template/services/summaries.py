"""Project summaries: each of a user's projects, with its tasks counted by status.

The obvious code asks for the projects, then for each project's tasks: one query, plus one per
project, and the second number grows with the data (the N+1 query). Here one query does it all:
it picks the page of projects first, then outer-joins their tasks, grouped by project, each
status counted. Picking the page first keeps the work in proportion to the page: an owner with
a thousand projects costs no more than one with twenty.

A dashboard reads summaries far more often than tasks change, so they are cached (cache-aside):
a read looks in the cache first, and on a miss runs the query and keeps the result. A write to
an owner's projects or tasks makes that owner's summaries stale, after its transaction commits,
whoever made it: a request, a worker's job or a script (`db.on_commit`).
The cache holds them as JSON, and a cached value is used only if it has exactly their shape.
"""

import contextlib
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cashews import Cache
from pydantic import TypeAdapter
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.core.cache import JsonEntries, read_counter
from fast_api_template.db import on_commit
from fast_api_template.models import Project, Task
from fast_api_template.models.domain.task import TaskStatus

# Where a unit of work notes the owners whose projects or tasks it changes.
CHANGED_OWNERS: Final = "summaries.changed_owners"
# Where a session finds the cache that its commits make stale (see `SummaryCache`).
SUMMARY_CACHE: Final = "summaries.cache"
# How long one request may hold the right to fill an empty entry: the others wait for it.
FILL_LOCK_SECONDS: Final = 5.0


@dataclass(frozen=True)
class ProjectSummary:
    """A project and how many of its tasks have each status."""

    id: int
    name: str
    archived: bool
    todo: int
    doing: int
    done: int


# How the summaries are kept in the cache: JSON, read back only with exactly this shape.
SUMMARIES: Final = JsonEntries(TypeAdapter(list[ProjectSummary]))


# --8<-- [start:query]
async def query_summaries(session: AsyncSession, owner_id: int, limit: int) -> list[ProjectSummary]:
    """Summarise an owner's first projects, oldest first, in one query whatever their number."""
    page = (
        select(col(Project.id), col(Project.name), col(Project.archived), col(Project.created_at))
        .where(col(Project.owner_id) == owner_id)
        .order_by(col(Project.created_at), col(Project.id))
        .limit(limit)
        .subquery("page")
    )
    counts = [
        func.count(col(Task.id)).filter(col(Task.status) == status).label(status.value)
        for status in TaskStatus
    ]
    query = (
        select(page.c.id, page.c.name, page.c.archived, *counts)
        .outerjoin(Task, col(Task.project_id) == page.c.id)
        .group_by(page.c.id, page.c.name, page.c.archived, page.c.created_at)
        .order_by(page.c.created_at, page.c.id)
    )
    connection = await session.connection()
    rows = (await connection.execute(query)).mappings()
    return [ProjectSummary(**row) for row in rows]


# --8<-- [end:query]


# --8<-- [start:service]
class SummaryService:
    """The summaries of one owner's projects, cached until a write changes them.

    Args:
        session: The unit of work.
        cache: Where summaries are kept between requests (core/cache.py).
        owner_id: Whose projects: their own, even for an administrator.
        ttl_seconds: The longest that a summary is kept, whatever happens.
        namespace: The start of every key, so that services can share a Redis.

    """

    def __init__(
        self,
        session: AsyncSession,
        cache: Cache,
        *,
        owner_id: int,
        ttl_seconds: int,
        namespace: str,
    ) -> None:
        self.session = session
        self.cache = cache
        self.owner_id = owner_id
        self.ttl_seconds = ttl_seconds
        self.namespace = namespace

    async def first(self, limit: int) -> list[ProjectSummary]:
        """Return the summaries of the owner's first `limit` projects, oldest first."""
        generation = await self._generation()
        if generation is None:
            # A counter that is not a number: no entry can be known to be current.
            return await query_summaries(self.session, self.owner_id, limit)
        key = entry_key(self.namespace, self.owner_id, generation, limit)
        cached = await SUMMARIES.read(self.cache, key)
        if cached is None:
            cached = await self._fill(key, limit)
        return cached

    async def _fill(self, key: str, limit: int) -> list[ProjectSummary]:
        # When an entry expires under load, every request would run the query at once (a
        # stampede). One request fills it; the others wait for the lock, then read its result.
        # With Redis down, the cache answers every call as a miss (core/cache.py), the lock
        # included: each request then runs the query, and the service stays up.
        lock = self.cache.lock(f"{key}:lock", expire=FILL_LOCK_SECONDS, check_interval=0.01)
        async with lock:
            cached = await SUMMARIES.read(self.cache, key, report=True)
            if cached is None:
                cached = await query_summaries(self.session, self.owner_id, limit)
                await SUMMARIES.write(self.cache, key, cached, expire=self.ttl_seconds)
        return cached

    async def _generation(self) -> int | None:
        # A write does not delete an owner's entries: it starts a new generation of them (one
        # atomic increment, in memory or in Redis), and the old ones expire on their own.
        key = generation_key(self.namespace, self.owner_id)
        return read_counter(key, await self.cache.get(key))


# --8<-- [end:service]


def entry_key(namespace: str, owner_id: int, generation: int, limit: int) -> str:
    """Name the entry of an owner's first `limit` summaries, in one generation of them."""
    return f"{namespace}:summaries:{owner_id}:{generation}:{limit}"


# --8<-- [start:invalidation]
def generation_key(namespace: str, owner_id: int) -> str:
    """Name the counter whose increment makes an owner's cached summaries stale."""
    return f"{namespace}:summaries:{owner_id}:generation"


@dataclass(frozen=True)
class SummaryCache:
    """The cache of summaries, as the sessions of a factory carry it to make entries stale.

    Give it to every session factory of a process that changes projects or tasks: the API's,
    a worker's, a script's (`db.create_session_factory(engine, info=...info())`).
    """

    cache: Cache
    namespace: str

    def info(self) -> dict[str, object]:
        """Return the session info that makes a factory's commits refresh these summaries."""
        return {SUMMARY_CACHE: self}


def note_change(session: AsyncSession, owner_id: int) -> None:
    """Note, in the unit of work, that an owner's projects or tasks change in it.

    Once it commits, their summaries are stale: the unit of work's hook moves them on. A
    session whose factory carries no `SummaryCache` caches nothing, so nothing goes stale.
    """
    session.info.setdefault(CHANGED_OWNERS, set()).add(owner_id)
    target = session.info.get(SUMMARY_CACHE)
    if isinstance(target, SummaryCache):
        forget = functools.partial(
            forget_changed, session, target.cache, namespace=target.namespace
        )
        on_commit(session, forget, key=CHANGED_OWNERS)


async def forget_changed(session: AsyncSession, cache: Cache, *, namespace: str) -> None:
    """Make stale the summaries of the owners that a committed unit of work changed.

    `note_change` has the unit of work run it after the commit, never before: a read between
    an early invalidation and the commit would cache the old counts again.
    """
    owners: Iterable[int] = session.info.pop(CHANGED_OWNERS, ())
    for owner_id in owners:
        # A Redis that does not answer loses the increment: the stale entries live until
        # their TTL, which is why each cached summary has one (the counters have none).
        with contextlib.suppress(Exception):
            await cache.incr(generation_key(namespace, owner_id))


# --8<-- [end:invalidation]
