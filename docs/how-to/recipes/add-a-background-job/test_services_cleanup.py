"""The clear-done job: what it deletes, that a second run changes nothing, and that it runs
on a broker, retried when the database does not answer. No worker process, no Redis: taskiq's
in-memory broker runs the job in this process.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from taskiq import InMemoryBroker

from acme_api.config import Settings
from acme_api.core.jobs import CLEAR_DONE_TASKS
from acme_api.db import create_session_factory
from acme_api.models import Task
from acme_api.models.domain.task import TaskStatus
from acme_api.services.cleanup import clear_done_tasks
from acme_api.services.projects import NewProject, ProjectService
from acme_api.services.tasks import NewTask, TaskService
from acme_api.worker import register_jobs

pytestmark = pytest.mark.anyio


@pytest.fixture
def later() -> datetime:
    """A cut-off after every task that the test makes: the request came after them."""
    return datetime.now(UTC) + timedelta(hours=1)


@pytest.fixture
async def project_id(projects: ProjectService, tasks: TaskService, session: AsyncSession) -> int:
    """A project with a done task, a task in progress and a task to do, committed."""
    project = await projects.create(NewProject(name="Garden"))
    assert project.id is not None
    for status in TaskStatus:
        await tasks.create(project.id, NewTask(title=f"A task {status}", status=status))
    await session.commit()
    return project.id


async def titles(session: AsyncSession, project_id: int) -> list[str]:
    rows = await session.exec(select(Task.title).where(col(Task.project_id) == project_id))
    return sorted(rows)


async def test_it_deletes_the_done_tasks_and_only_once(
    session: AsyncSession, project_id: int, later: datetime
) -> None:
    first = await clear_done_tasks(session, project_id, before=later)
    second = await clear_done_tasks(session, project_id, before=later)

    assert (first, second) == (1, 0)
    assert await titles(session, project_id) == ["A task doing", "A task todo"]


async def test_a_task_done_after_the_request_stays(session: AsyncSession, project_id: int) -> None:
    earlier = datetime.now(UTC) - timedelta(days=1)

    assert await clear_done_tasks(session, project_id, before=earlier) == 0


@pytest.fixture
async def broker(
    engine: AsyncEngine, settings: Settings
) -> AsyncIterator[tuple[InMemoryBroker, list[int]]]:
    """An in-memory broker with the service's jobs, on the test's database.

    Its session factory fails the first session it opens, as a database that restarts
    would: the list counts the sessions opened.
    """
    factory = create_session_factory(engine)
    opened: list[int] = []

    def flaky() -> AsyncSession:
        opened.append(1)
        if len(opened) == 1:
            raise exc.OperationalError("SELECT 1", {}, ConnectionResetError())
        return factory()

    memory = InMemoryBroker()
    fast = settings.model_copy(
        update={"jobs": settings.jobs.model_copy(update={"retry_delay_seconds": 0.01})}
    )
    register_jobs(memory, session_factory=flaky, settings=fast)  # type: ignore[arg-type]
    await memory.startup()
    yield memory, opened
    await memory.shutdown()


async def test_the_job_runs_on_the_broker_and_retries(
    broker: tuple[InMemoryBroker, list[int]],
    session: AsyncSession,
    project_id: int,
    later: datetime,
) -> None:
    memory, opened = broker
    job = memory.find_task(CLEAR_DONE_TASKS)
    assert job is not None

    queued = await job.kiq(str(project_id), later.isoformat())
    result = await queued.wait_result(timeout=5)

    assert not result.is_err, result.error
    assert result.return_value == 1
    assert len(opened) == 2  # the first session failed, the second did the work
    assert await titles(session, project_id) == ["A task doing", "A task todo"]
