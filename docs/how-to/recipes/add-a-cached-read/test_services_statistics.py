"""A project's statistics under a stampede: many readers of an empty entry, one query."""

import anyio
import pytest
from cashews import Cache
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from statements import queries, recorded_statements

from acme_api.db import create_session_factory
from acme_api.models import User
from acme_api.services.projects import NewProject, ProjectService
from acme_api.services.statistics import StatisticsService
from acme_api.services.tasks import NewTask, TaskService

pytestmark = pytest.mark.anyio

READERS = 10


async def test_many_readers_of_an_empty_entry_query_once(
    engine: AsyncEngine,
    session: AsyncSession,
    owner: User,
    projects: ProjectService,
    tasks: TaskService,
) -> None:
    project = await projects.create(NewProject(name="Garden"))
    assert project.id is not None
    await tasks.create(project.id, NewTask(title="Dig"))
    await session.commit()
    cache = Cache()
    cache.setup("mem://", size=100)
    factory = create_session_factory(engine)
    results: list[dict[str, int]] = []

    async def read(project_id: int) -> None:
        # A session per reader, unlike the summaries' test: this read queries before it looks
        # in the cache (may the reader see the project?), and a session runs one query at a
        # time.
        async with factory() as own:
            projects_of_owner = ProjectService(own, actor=owner)
            service = StatisticsService(own, projects_of_owner, cache, 60, "test")
            results.append(await service.of(project_id))

    with recorded_statements(engine) as statements:
        async with anyio.create_task_group() as group:
            for _ in range(READERS):
                group.start_soon(read, project.id)

    assert results == [results[0]] * READERS
    assert results[0]["todo"] == 1
    assert len([s for s in queries(statements) if "GROUP BY" in s]) == 1
