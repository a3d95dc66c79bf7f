"""Exports without HTTP or a queue: the rules of a request, the CSV, and a run of the job.

A run opens its own units of work, as a worker does, so the data of these tests is committed
first (`transaction`), never left in the open session of the `session` fixture.
"""

import asyncio
import csv
import io
import uuid
from collections.abc import Container
from datetime import timedelta
from typing import Any

import pytest
from conftest import insert_user
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from tenacity import AsyncRetrying, RetryCallState

from fast_api_template.core.errors import UnavailableError
from fast_api_template.db import SessionFactory, create_session_factory, transaction
from fast_api_template.models import ExportJob, Project, User
from fast_api_template.models.base import utc_now
from fast_api_template.models.domain.export_job import ExportStatus
from fast_api_template.services import exports
from fast_api_template.services.exceptions import ProjectNotFoundError
from fast_api_template.services.exports import (
    FORMULA_STARTS,
    GAVE_UP,
    UNEXPECTED,
    ExportNotFoundError,
    ExportQuota,
    ExportQuotaExceededError,
    ExportRunner,
    ExportService,
    IdempotencyKeyReusedError,
    JobQueue,
    backoff,
    neutralise,
    render_csv,
    sweep_expired_exports,
)
from fast_api_template.services.projects import NewProject, ProjectService
from fast_api_template.services.tasks import NewTask, TaskService

pytestmark = pytest.mark.anyio

TITLES = ("Dig", "Sow", "=1+1")
# Room for every export of a test that is not about the quota.
QUOTA = ExportQuota(per_user=100, keep_for=timedelta(hours=24))


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tTab", "\rReturn"])
def test_a_cell_that_a_spreadsheet_would_run_becomes_text(cell: str) -> None:
    assert neutralise(cell) == f"'{cell}"


@pytest.mark.parametrize("cell", ["Dig", "a=b", "1-2", "", " =x", "'quoted"])
def test_other_cells_are_kept(cell: str) -> None:
    assert neutralise(cell) == cell


def test_the_file_has_a_header_and_guards_every_cell() -> None:
    text = render_csv([(1, "=cmd", "todo"), (2, 'Say "hi",\nthen go', "done")])

    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "title", "status", "created_at", "updated_at"],
        ["1", "'=cmd", "todo"],
        ["2", 'Say "hi",\nthen go', "done"],
    ]
    assert text.startswith('"id","title","status","created_at","updated_at"\r\n')


def cells_outside_quotes(line: str, separator: str) -> list[str]:
    """Split a line as a spreadsheet does with `separator`: never inside double quotes."""
    cells, cell, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            cells.append(cell)
            cell = ""
            continue
        cell += char
    return [*cells, cell]


HOSTILE_TITLES = [
    "x;=1+1;y",
    ";=1+1",
    "x\t=1+1",
    "\t=1+1",
    "a|@x",
    "a,-1",
    "=1+1",
    "+1",
    "-1",
    "@A1",
]


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_no_separator_lets_a_cell_start_a_formula(separator: str, title: str) -> None:
    text = render_csv([(1, title, "todo")])
    line = text.splitlines()[1]

    # Every field in quotes: a spreadsheet that splits columns on ";" or a tab, not on the
    # file's commas, still finds no cell that starts inside a title.
    assert line == f'"1","{neutralise(title)}","todo"'
    cells = [cell.strip('"') for cell in cells_outside_quotes(line, separator)]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]


def test_the_backoff_doubles_with_a_random_part() -> None:
    wait = backoff(1.0)
    delays = []
    for attempt in (1, 2, 3):  # the attempt that just failed
        state = RetryCallState(AsyncRetrying(), fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        delays.append(wait(state))

    assert [low <= delay <= low + 1.0 for low, delay in zip([1, 2, 4], delays, strict=True)] == [
        True
    ] * 3


@pytest.fixture
def factory(engine: AsyncEngine) -> SessionFactory:
    """What a worker opens its units of work with, on the test's database."""
    return create_session_factory(engine)


async def committed_project(factory: SessionFactory, email: str = "ada@example.com") -> Project:
    async with transaction(factory) as session:
        owner = await insert_user(session, email)
        projects = ProjectService(session, actor=owner)
        project = await projects.create(NewProject(name="Garden"))
        assert project.id is not None
        for title in TITLES:
            await TaskService(session, projects).create(project.id, NewTask(title=title))
    return project


async def queued_job(factory: SessionFactory) -> uuid.UUID:
    project = await committed_project(factory)
    assert project.id is not None
    async with transaction(factory) as session:
        job = ExportJob(owner_id=project.owner_id, project_id=project.id)
        session.add(job)
    return job.id


async def read(factory: SessionFactory, job_id: uuid.UUID) -> ExportJob | None:
    async with transaction(factory) as session:
        return (await session.exec(select(ExportJob).where(col(ExportJob.id) == job_id))).first()


def runner(factory: SessionFactory, *, max_attempts: int = 3) -> ExportRunner:
    return ExportRunner(factory, max_attempts=max_attempts, retry_delay=0.001)


async def test_a_run_writes_the_file_of_the_project(factory: SessionFactory) -> None:
    job_id = await queued_job(factory)

    await runner(factory).run(job_id)

    job = await read(factory, job_id)
    assert job is not None
    assert (job.status, job.attempts, job.error) == (ExportStatus.DONE, 1, None)
    assert job.finished_at is not None
    assert job.result is not None
    titles = [row[1] for row in csv.reader(io.StringIO(job.result))][1:]
    assert titles == ["Dig", "Sow", "'=1+1"]


async def test_a_second_delivery_changes_nothing(factory: SessionFactory) -> None:
    job_id = await queued_job(factory)
    await runner(factory).run(job_id)
    first = await read(factory, job_id)

    await runner(factory).run(job_id)

    again = await read(factory, job_id)
    assert first is not None
    assert again is not None
    assert (again.attempts, again.updated_at, again.result) == (
        first.attempts,
        first.updated_at,
        first.result,
    )


async def test_two_deliveries_at_once_finish_the_job_once(factory: SessionFactory) -> None:
    job_id = await queued_job(factory)

    await asyncio.gather(runner(factory).run(job_id), runner(factory).run(job_id))

    job = await read(factory, job_id)
    assert job is not None
    assert job.status == ExportStatus.DONE
    assert job.result is not None
    assert len(job.result.splitlines()) == 1 + len(TITLES)


async def test_a_job_deleted_with_its_project_is_skipped(factory: SessionFactory) -> None:
    job_id = await queued_job(factory)
    async with transaction(factory) as session:
        for project in await session.exec(select(Project)):
            await session.delete(project)

    await runner(factory).run(job_id)

    assert await read(factory, job_id) is None


class FlakySessionFactory(async_sessionmaker[AsyncSession]):
    """Open sessions on `engine`, but the calls numbered in `failing` find the database down."""

    def __init__(self, engine: AsyncEngine, failing: Container[int]) -> None:
        super().__init__(engine, class_=AsyncSession, expire_on_commit=False)
        self.failing = failing
        self.calls = 0

    def __call__(self, **local_kw: Any) -> AsyncSession:
        self.calls += 1
        if self.calls in self.failing:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().__call__(**local_kw)


# A run opens two units of work: the first marks the job running, the second writes the file.
async def test_a_database_that_comes_back_is_waited_for(
    factory: SessionFactory, engine: AsyncEngine
) -> None:
    job_id = await queued_job(factory)
    flaky = FlakySessionFactory(engine, failing={2})  # down once, between the two steps

    await runner(flaky).run(job_id)

    job = await read(factory, job_id)
    assert job is not None
    assert (job.status, job.attempts, job.error) == (ExportStatus.DONE, 2, None)


async def test_after_its_last_attempt_the_job_fails(
    factory: SessionFactory, engine: AsyncEngine
) -> None:
    job_id = await queued_job(factory)
    flaky = FlakySessionFactory(engine, failing={2, 4, 6})  # each file, never the status

    await runner(flaky, max_attempts=3).run(job_id)

    job = await read(factory, job_id)
    assert job is not None
    assert (job.status, job.attempts) == (ExportStatus.FAILED, 3)
    assert job.error == GAVE_UP.format(attempts=3)
    assert job.result is None


async def test_a_database_that_stays_down_leaves_the_job_as_it_was(
    factory: SessionFactory, engine: AsyncEngine
) -> None:
    job_id = await queued_job(factory)
    down = FlakySessionFactory(engine, failing=range(1, 100))

    await runner(down, max_attempts=2).run(job_id)  # logs, and raises nothing

    job = await read(factory, job_id)
    assert job is not None
    assert (job.status, job.attempts, down.calls) == (ExportStatus.QUEUED, 0, 3)


async def test_any_other_error_fails_the_job_at_once(
    factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await queued_job(factory)

    def broken(_rows: object) -> str:
        msg = "row 3: secret value 'hunter2'"
        raise ValueError(msg)

    monkeypatch.setattr(exports, "render_csv", broken)

    await runner(factory).run(job_id)

    job = await read(factory, job_id)
    assert job is not None
    assert (job.status, job.attempts, job.error) == (ExportStatus.FAILED, 1, UNEXPECTED)


@pytest.fixture
async def owner(session: AsyncSession) -> User:
    return await insert_user(session, "ada@example.com")


@pytest.fixture
async def project_id(session: AsyncSession, owner: User) -> int:
    project = await ProjectService(session, actor=owner).create(NewProject(name="Garden"))
    assert project.id is not None
    return project.id


class QueuedJobs(list[uuid.UUID]):
    """A queue that keeps what it is given, in order: `services.exports.JobQueue` in a list."""

    async def put_export(self, job_id: uuid.UUID) -> None:
        self.append(job_id)


class DownQueue(QueuedJobs):
    """A queue that does not answer, as Redis when it is down; it keeps what it was asked."""

    async def put_export(self, job_id: uuid.UUID) -> None:
        self.append(job_id)
        raise UnavailableError("The job queue does not answer.", retry_after=5)


def service(session: AsyncSession, actor: User, queue: JobQueue | None = None) -> ExportService:
    projects = ProjectService(session, actor=actor)
    return ExportService(session, projects, QueuedJobs() if queue is None else queue)


async def request_and_commit(
    factory: SessionFactory, project: Project, queue: JobQueue, *, then_fail: bool = False
) -> None:
    """Ask for an export of `project` in a unit of work of its own, failing after it if told."""
    async with transaction(factory) as session:
        owner = await session.get_one(User, project.owner_id)
        await service(session, owner, queue).request(project.id or 0, quota=QUOTA)
        if then_fail:
            raise RuntimeError("after the request")


async def job_ids(factory: SessionFactory) -> list[uuid.UUID]:
    async with transaction(factory) as session:
        return list(await session.exec(select(ExportJob.id)))


async def test_a_new_job_is_queued_once_its_unit_of_work_commits(factory: SessionFactory) -> None:
    project = await committed_project(factory)
    queue = QueuedJobs()
    async with transaction(factory) as session:
        owner = await session.get_one(User, project.owner_id)
        requested = await service(session, owner, queue).request(project.id or 0, quota=QUOTA)
        queued_before_the_commit = list(queue)

    assert queued_before_the_commit == []
    assert queue == [requested.job.id]
    assert await job_ids(factory) == [requested.job.id]


async def test_a_rolled_back_request_queues_nothing(factory: SessionFactory) -> None:
    project = await committed_project(factory)
    queue = QueuedJobs()

    with pytest.raises(RuntimeError, match="after the request"):
        await request_and_commit(factory, project, queue, then_fail=True)

    assert queue == []
    assert await job_ids(factory) == []


async def test_a_job_that_the_queue_refuses_is_deleted_again(factory: SessionFactory) -> None:
    project = await committed_project(factory)
    queue = DownQueue()

    with pytest.raises(UnavailableError):
        await request_and_commit(factory, project, queue)

    # It was asked, after the commit; no job stays without its message, so a retry with the
    # same key makes the job anew.
    assert len(queue) == 1
    assert await job_ids(factory) == []


async def test_a_key_finds_the_job_of_the_first_request(
    session: AsyncSession, owner: User, project_id: int
) -> None:
    first = await service(session, owner).request(project_id, quota=QUOTA, idempotency_key="k1")
    again = await service(session, owner).request(project_id, quota=QUOTA, idempotency_key="k1")
    other = await service(session, owner).request(project_id, quota=QUOTA, idempotency_key="k2")
    unnamed = [await service(session, owner).request(project_id, quota=QUOTA) for _ in range(2)]

    assert (first.created, again.created, other.created) == (True, False, True)
    assert again.job.id == first.job.id
    assert other.job.id != first.job.id
    assert unnamed[0].job.id != unnamed[1].job.id  # no key, no idempotency


async def test_a_key_is_per_user(session: AsyncSession, owner: User, project_id: int) -> None:
    admin = await insert_user(session, "root@example.com", is_admin=True)

    mine = await service(session, owner).request(project_id, quota=QUOTA, idempotency_key="k1")
    theirs = await service(session, admin).request(project_id, quota=QUOTA, idempotency_key="k1")

    assert theirs.created
    assert theirs.job.id != mine.job.id
    assert theirs.job.owner_id == admin.id


async def test_a_key_names_one_project(session: AsyncSession, owner: User, project_id: int) -> None:
    other = await ProjectService(session, actor=owner).create(NewProject(name="Orchard"))
    assert other.id is not None
    await service(session, owner).request(project_id, quota=QUOTA, idempotency_key="k1")

    with pytest.raises(IdempotencyKeyReusedError):
        await service(session, owner).request(other.id, quota=QUOTA, idempotency_key="k1")


async def test_only_the_owner_and_admins_see_a_job(
    session: AsyncSession, owner: User, project_id: int
) -> None:
    eve = await insert_user(session, "eve@example.com")
    admin = await insert_user(session, "root@example.com", is_admin=True)
    job = (await service(session, owner).request(project_id, quota=QUOTA)).job

    with pytest.raises(ProjectNotFoundError):
        await service(session, eve).request(project_id, quota=QUOTA)
    with pytest.raises(ExportNotFoundError):
        await service(session, eve).get(job.id)
    assert (await service(session, admin).get(job.id)).id == job.id
    assert (await service(session, owner).get(job.id)).id == job.id


async def test_the_quota_counts_what_is_held_and_not_what_expired(
    session: AsyncSession, owner: User, project_id: int
) -> None:
    quota = ExportQuota(per_user=2, keep_for=timedelta(hours=1))
    eve = await insert_user(session, "eve@example.com", is_admin=True)
    session.add(
        ExportJob(
            owner_id=owner.id or 0,
            project_id=project_id,
            status=ExportStatus.DONE,
            finished_at=utc_now() - timedelta(hours=2),  # expired: no longer held
        )
    )
    await service(session, eve).request(project_id, quota=quota)  # another user's
    await service(session, owner).request(project_id, quota=quota)
    await service(session, owner).request(project_id, quota=quota)

    with pytest.raises(ExportQuotaExceededError) as refused:
        await service(session, owner).request(project_id, quota=quota)

    # Both held jobs were just asked for: a place frees in an hour at the earliest.
    assert 3600 - 60 <= refused.value.retry_after <= 3600


async def test_a_job_that_never_finished_stops_holding_a_place(
    session: AsyncSession, owner: User, project_id: int
) -> None:
    quota = ExportQuota(per_user=1, keep_for=timedelta(hours=1))
    # Lost: asked for two hours ago, and its process stopped before it finished.
    lost = ExportJob(owner_id=owner.id or 0, project_id=project_id, status=ExportStatus.RUNNING)
    lost.created_at = utc_now() - timedelta(hours=2)
    session.add(lost)

    requested = await service(session, owner).request(project_id, quota=quota)

    assert requested.created


async def test_a_sweep_deletes_every_export_that_expired(factory: SessionFactory) -> None:
    keep_for = timedelta(hours=24)
    finished = utc_now()
    project = await committed_project(factory)
    other = await committed_project(factory, "eve@example.com")
    async with transaction(factory) as session:
        jobs = [
            ExportJob(owner_id=p.owner_id, project_id=p.id or 0, status=status, finished_at=at)
            for p in (project, other)
            for status, at in ((ExportStatus.DONE, finished), (ExportStatus.FAILED, finished))
        ]
        running = ExportJob(owner_id=project.owner_id, project_id=project.id or 0)
        session.add_all([*jobs, running])

    # The clock moved on, not the test: `now` is where the sweep measures from.
    early = await sweep_expired_exports(factory, keep_for, now=finished + keep_for)
    late = await sweep_expired_exports(factory, keep_for, now=finished + keep_for * 1.01)

    assert (early, late) == (0, 4)  # every user's, done or failed, once expired
    assert [await read(factory, job.id) for job in jobs] == [None] * 4
    assert await read(factory, running.id) is not None  # never finished: never swept


async def test_a_sweep_keeps_everything_while_the_database_is_down(engine: AsyncEngine) -> None:
    down = FlakySessionFactory(engine, failing={1})

    assert await sweep_expired_exports(down, timedelta(hours=1)) == 0
    assert down.calls == 1  # tried once; the next sweep tries again
