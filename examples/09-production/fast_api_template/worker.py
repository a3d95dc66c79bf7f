"""The worker process: the jobs that run outside requests, and their broker.

Start workers with taskiq's own command, with the same settings (environment, `.env`) as the
API, Redis included:

    taskiq worker fast_api_template.worker:broker --no-configure-logging

(`--no-configure-logging`: the worker logs in the service's own format, set up at start-up.)
In-process (no Redis URL), the API registers the same jobs on its own broker and runs them.
"""

import asyncio
import contextlib
import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from sqlalchemy import text
from taskiq import AsyncBroker, TaskiqEvents, TaskiqState

from fast_api_template.config import ConfigurationError, Settings, env_var_name, get_settings
from fast_api_template.core.cache import close_cache, create_cache
from fast_api_template.core.jobs import EXPORT_PROJECT, create_broker
from fast_api_template.core.logging import configure_logging
from fast_api_template.db import (
    DATABASE_UNAVAILABLE,
    SessionFactory,
    create_engine,
    create_session_factory,
    transaction,
)
from fast_api_template.models.base import utc_now
from fast_api_template.services.auth import delete_expired_refresh_tokens
from fast_api_template.services.exports import ExportRunner, sweep_expired_exports
from fast_api_template.services.standing import cache_info

logger = structlog.stdlib.get_logger(__name__)


# --8<-- [start:register_jobs]
def register_jobs(
    broker: AsyncBroker, *, session_factory: SessionFactory, settings: Settings
) -> None:
    """Register every job of the service on `broker`, with what the jobs need to run."""
    runner = ExportRunner(
        session_factory,
        max_attempts=settings.jobs.max_attempts,
        retry_delay=settings.jobs.retry_delay_seconds,
    )

    # A message carries plain JSON: the job's id as text, never objects or the data itself.
    async def export_project(job_id: str) -> None:
        """Export a project's tasks as CSV: see services/exports.py."""
        await runner.run(uuid.UUID(job_id))

    broker.register_task(export_project, task_name=EXPORT_PROJECT)
    register_sweep(broker, session_factory=session_factory, settings=settings)


# --8<-- [end:register_jobs]


# --8<-- [start:sweep]
Sleep = Callable[[float], Awaitable[None]]


def register_sweep(
    broker: AsyncBroker, *, session_factory: SessionFactory, settings: Settings
) -> None:
    """Delete expired exports and refresh tokens every `jobs.sweep_minutes`, where jobs run.

    In a worker, and in an API that runs its jobs itself (no Redis): both start `broker` as
    a worker. An API that queues jobs for workers does not sweep. With several workers, each
    sweeps: a delete of what expired is the same done twice.
    """
    keep_for = timedelta(hours=settings.jobs.export_ttl_hours)

    async def sweep() -> None:
        await sweep_expired_exports(session_factory, keep_for)
        await sweep_expired_refresh_tokens(session_factory)

    async def start(state: TaskiqState) -> None:
        state.sweeper = asyncio.create_task(run_every(settings.jobs.sweep_minutes * 60, sweep))

    async def stop(state: TaskiqState) -> None:
        sweeper: asyncio.Task[None] | None = getattr(state, "sweeper", None)
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, start)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, stop)


async def sweep_expired_refresh_tokens(session_factory: SessionFactory) -> int:
    """Delete the refresh tokens that can no longer be spent; return how many.

    No token outlives its session (`security.session_hours`), so the table holds hours of
    logins, not years. A database that does not answer keeps them until the next sweep.
    """
    try:
        async with transaction(session_factory) as session:
            deleted = await delete_expired_refresh_tokens(session, now=utc_now())
    except DATABASE_UNAVAILABLE as error:
        logger.warning("expired_refresh_tokens_kept", error=type(error).__name__)
        return 0
    if deleted:
        logger.info("expired_refresh_tokens_deleted", count=deleted)
    return deleted


async def run_every(
    seconds: float, work: Callable[[], Awaitable[None]], *, sleep: Sleep = asyncio.sleep
) -> None:
    """Run `work` every `seconds`, the first time `seconds` after the start, until cancelled.

    The first run waits: a process that restarts often must not sweep at each start.
    """
    while True:
        await sleep(seconds)
        try:
            await work()
        except Exception:
            # One failed run must not end the runs that follow; the traceback goes to the log.
            logger.exception("periodic_work_failed")


# --8<-- [end:sweep]


def create_worker_broker(settings: Settings) -> AsyncBroker:
    """Build a worker's broker: the jobs registered, its database pool open while it runs.

    Raises:
        ConfigurationError: No Redis URL: there is no queue for a worker to read.

    """
    if settings.redis.url is None:
        name = env_var_name("redis", "url")
        msg = f"{name}: a worker reads jobs from Redis; without it, the API runs them itself"
        raise ConfigurationError([msg])
    broker = create_broker(settings)
    engine = create_engine(settings.database)
    # The API's cache, in Redis: what a job commits makes the API's cached reads stale.
    cache = create_cache(settings)
    session_factory = create_session_factory(engine, info=cache_info(cache, settings))
    register_jobs(broker, session_factory=session_factory, settings=settings)

    async def open_pool(_state: TaskiqState) -> None:
        configure_logging(settings.log.level, json_logs=settings.log.format == "json")
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except DATABASE_UNAVAILABLE as error:
            # Start anyway: each job waits for the database with its retries.
            logger.warning("worker_database_unavailable", error=type(error).__name__)
        logger.info("worker_started", queue=f"{settings.redis.key_prefix}:jobs")

    async def close_pool(_state: TaskiqState) -> None:
        await close_cache(cache)
        await engine.dispose()

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, open_pool)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, close_pool)
    return broker


@functools.cache
def _broker_from_environment() -> AsyncBroker:
    return create_worker_broker(get_settings())


def __getattr__(name: str) -> AsyncBroker:
    """Build `broker`, which `taskiq worker` imports, on first use: from the environment.

    Not at import: the API imports this module for `register_jobs`, and must not build a
    second broker and database pool that it would never use, nor fail on a worker's setting.
    """
    if name == "broker":
        return _broker_from_environment()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
