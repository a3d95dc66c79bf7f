"""One project's statistics: its tasks by status and its comments, cached per owner.

A second cached read beside the summaries, on the same rule: cache-aside, keyed by the owner's
generation, which every write to the owner's projects or tasks moves on after its commit
(`summaries.note_change`). So no write needs to know that this read exists.
"""

from dataclasses import dataclass
from typing import Final

from cashews import Cache
from pydantic import TypeAdapter
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from acme_api.core.cache import JsonEntries, read_counter
from acme_api.models import Comment, Task
from acme_api.models.domain.task import TaskStatus
from acme_api.services.projects import ProjectService
from acme_api.services.summaries import FILL_LOCK_SECONDS, generation_key

STATISTICS: Final = JsonEntries(TypeAdapter(dict[str, int]))


async def query_statistics(session: AsyncSession, project_id: int) -> dict[str, int]:
    """Count a project's tasks by status, and the comments on them: two small queries."""
    by_status = await session.exec(
        select(col(Task.status), func.count())
        .where(col(Task.project_id) == project_id)
        .group_by(col(Task.status))
    )
    counts = {status.value: 0 for status in TaskStatus} | {
        status.value: count for status, count in by_status
    }
    comments = await session.exec(
        select(func.count())
        .select_from(Comment)
        .join(Task, col(Task.id) == col(Comment.task_id))
        .where(col(Task.project_id) == project_id)
    )
    return counts | {"comments": comments.one()}


@dataclass(frozen=True)
class StatisticsService:
    """The statistics of the projects that `projects` lets the acting user see."""

    session: AsyncSession
    projects: ProjectService
    cache: Cache
    ttl_seconds: int
    namespace: str

    async def of(self, project_id: int) -> dict[str, int]:
        """Return a project's statistics, from the cache when they are current.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.

        """
        # Outside the cache: whoever asks, the rule of projects decides first. A cached value
        # is then the same for every reader who may see the project.
        project = await self.projects.get(project_id)
        # The owner's generation, not the reader's: an admin reads a project of someone
        # else, and that owner's writes are what make it stale.
        owner_key = generation_key(self.namespace, project.owner_id)
        generation = read_counter(owner_key, await self.cache.get(owner_key))
        if generation is None:
            return await query_statistics(self.session, project_id)  # a corrupt counter
        key = f"{self.namespace}:statistics:{project.owner_id}:{generation}:{project_id}"
        cached = await STATISTICS.read(self.cache, key)
        if cached is not None:
            return cached
        # One reader fills the entry, the others wait for it: no stampede on the database.
        lock = self.cache.lock(f"{key}:lock", expire=FILL_LOCK_SECONDS, check_interval=0.01)
        async with lock:
            cached = await STATISTICS.read(self.cache, key, report=True)
            if cached is None:
                cached = await query_statistics(self.session, project_id)
                await STATISTICS.write(self.cache, key, cached, expire=self.ttl_seconds)
        return cached
