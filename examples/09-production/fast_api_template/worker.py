"""The worker process: the jobs that run outside requests, and their broker.

Start workers with taskiq's own command, with the same settings (environment, `.env`) as the
API, Redis included:

    taskiq worker fast_api_template.worker:broker --no-configure-logging

(`--no-configure-logging`: the worker logs in the service's own format, set up at start-up.)
In-process (no Redis URL), the API registers the same jobs on its own broker and runs them.
"""

import functools
import uuid

import structlog
from sqlalchemy import text
from taskiq import AsyncBroker, TaskiqEvents, TaskiqState

from fast_api_template.config import ConfigurationError, Settings, env_var_name, get_settings
from fast_api_template.core.jobs import EXPORT_PROJECT, create_broker
from fast_api_template.core.logging import configure_logging
from fast_api_template.db import (
    DATABASE_UNAVAILABLE,
    SessionFactory,
    create_engine,
    create_session_factory,
)
from fast_api_template.services.exports import ExportRunner

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


# --8<-- [end:register_jobs]


# --8<-- [start:worker_broker]
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
    register_jobs(broker, session_factory=create_session_factory(engine), settings=settings)

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


# --8<-- [end:worker_broker]
