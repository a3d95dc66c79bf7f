"""The worker: taskiq's own command runs, in a process of its own, the jobs the API queues.

The end-to-end test needs Redis (`TEST_REDIS_URL`); it runs on PostgreSQL when the suite has
one, as in production, else on a SQLite file that both processes open.
"""

import asyncio
import csv
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
from conftest import add_user, bearer, key_prefix, make_client, redis_url, resources_of
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from taskiq import AsyncBroker, TaskiqEvents

from fast_api_template import worker
from fast_api_template.app import create_app
from fast_api_template.config import ConfigurationError, Environment, Settings, get_settings
from fast_api_template.core.jobs import EXPORT_PROJECT, JobStream
from fast_api_template.db import create_session_factory, transaction
from fast_api_template.models import RefreshToken, User
from fast_api_template.worker import create_worker_broker, run_every, sweep_expired_refresh_tokens

# Seconds that the test waits at most for the worker to finish a job it was given.
JOB_DEADLINE = 20.0
# Seconds between two polls of the job, as a client would.
POLL_INTERVAL = 0.05


def test_a_worker_needs_redis() -> None:
    with pytest.raises(ConfigurationError, match="FAST_API_TEMPLATE_REDIS__URL"):
        create_worker_broker(Settings(env=Environment.TEST))


def test_the_module_builds_its_broker_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAST_API_TEMPLATE_ENV", "test")
    monkeypatch.setenv("FAST_API_TEMPLATE_REDIS__URL", "redis://:pw@127.0.0.1:9/0")  # not opened
    get_settings.cache_clear()
    try:
        broker = worker.broker
        assert isinstance(broker, JobStream)
        assert broker.find_task(EXPORT_PROJECT) is not None
        assert worker.broker is broker  # built once
    finally:
        get_settings.cache_clear()
        worker._broker_from_environment.cache_clear()


@pytest.mark.anyio
async def test_a_worker_starts_while_the_database_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        env=Environment.TEST,
        database={"url": "postgresql+asyncpg://app:pw@127.0.0.1:9/app"},  # nothing listens
        redis={"url": "redis://:pw@127.0.0.1:9/0"},
    )
    broker = create_worker_broker(settings)

    # What `taskiq worker` runs at start-up and at shutdown, without Redis.
    for event in (TaskiqEvents.WORKER_STARTUP, TaskiqEvents.WORKER_SHUTDOWN):
        for handler in broker.event_handlers[event]:
            started = handler(broker.state)
            assert started is not None  # ours are coroutines
            await started

    # Each job waits for the database with its retries; the worker itself keeps going.
    assert "worker_database_unavailable" in caplog.text
    assert "worker_started" in caplog.text


# The sweep of expired exports: in every process that runs jobs, every `jobs.sweep_minutes`.


async def run_handlers(broker: AsyncBroker, event: TaskiqEvents) -> None:
    """Run what taskiq runs for `event`, as `taskiq worker` does at start-up or shutdown."""
    for handler in broker.event_handlers[event]:
        started = handler(broker.state)
        assert started is not None  # ours are coroutines
        await started


@pytest.mark.anyio
async def test_a_worker_sweeps_until_it_stops() -> None:
    settings = Settings(env=Environment.TEST, redis={"url": "redis://:pw@127.0.0.1:9/0"})
    broker = create_worker_broker(settings)

    await run_handlers(broker, TaskiqEvents.WORKER_STARTUP)
    sweeper = broker.state.sweeper
    running = not sweeper.done()
    await run_handlers(broker, TaskiqEvents.WORKER_SHUTDOWN)

    assert running
    assert sweeper.cancelled()


@pytest.mark.anyio
@pytest.mark.parametrize(("redis", "sweeps"), [(None, True), ("redis://:pw@127.0.0.1:9/0", False)])
async def test_an_api_sweeps_only_when_it_runs_its_jobs_itself(
    redis: str | None, *, sweeps: bool
) -> None:
    # Without Redis the API runs its jobs, and sweeps; with Redis the workers do (port 9:
    # nothing listens, and the API starts anyway).
    app = create_app(Settings(env=Environment.TEST, redis={"url": redis}))
    async with app.router.lifespan_context(app):
        sweeper = getattr(resources_of(app).broker.state, "sweeper", None)
        running = sweeper is not None and not sweeper.done()

    assert running is sweeps
    assert sweeper is None or sweeper.cancelled()


@pytest.mark.anyio
async def test_a_sweep_deletes_the_refresh_tokens_that_expired(engine: AsyncEngine) -> None:
    factory = create_session_factory(engine)
    now = datetime.now(UTC)
    async with transaction(factory) as session:
        ada = User(email="ada@example.com")
        session.add(ada)
        await session.flush()
        assert ada.id is not None
        for number, expires in enumerate((now - timedelta(seconds=1), now + timedelta(hours=1))):
            session.add(
                RefreshToken(
                    user_id=ada.id,
                    family_id=f"family{number}",
                    token_hash=f"{number:064}",
                    expires_at=expires,
                    session_started_at=now,
                )
            )

    deleted = await sweep_expired_refresh_tokens(factory)

    assert deleted == 1
    async with transaction(factory) as session:
        [left] = await session.exec(select(RefreshToken))
        assert left.expires_at > now


@pytest.mark.anyio
async def test_periodic_work_waits_first_and_outlives_a_failed_run() -> None:
    slept: list[float] = []
    ran: list[int] = []

    class StopLoopError(Exception):
        """Ends the loop in place of a cancellation."""

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 4:
            raise StopLoopError

    async def work() -> None:
        ran.append(len(slept))
        if len(ran) == 1:
            raise RuntimeError("a bug in one run")

    with pytest.raises(StopLoopError):
        await run_every(600, work, sleep=sleep)

    assert slept == [600] * 4
    assert ran == [1, 2, 3]  # each after a wait, the second despite the first's failure


@pytest.fixture
async def queue_settings(one_database: str) -> AsyncIterator[Settings]:
    """Settings on the test's database and on Redis, under a key prefix of the test's own."""
    prefix = key_prefix()
    url = redis_url()
    yield Settings(
        env=Environment.TEST,
        database={"url": one_database},
        redis={"url": url, "key_prefix": prefix},
    )
    client = redis.asyncio.Redis.from_url(url)
    async with client:
        keys = [key async for key in client.scan_iter(match=f"*{prefix}*")]
        if keys:
            await client.delete(*keys)


# --8<-- [start:worker_process]
@pytest.fixture
def worker_process(queue_settings: Settings, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `taskiq worker fast_api_template.worker:broker`, configured like the API."""
    assert queue_settings.redis.url is not None
    env = {
        **os.environ,
        "FAST_API_TEMPLATE_ENV": "test",
        "FAST_API_TEMPLATE_DATABASE__URL": queue_settings.database.url.get_secret_value(),
        "FAST_API_TEMPLATE_REDIS__URL": queue_settings.redis.url.get_secret_value(),
        "FAST_API_TEMPLATE_REDIS__KEY_PREFIX": queue_settings.redis.key_prefix,
    }
    command = [
        sys.executable,
        *("-m", "taskiq", "worker", "fast_api_template.worker:broker"),
        *("--workers", "1", "--no-configure-logging", "--shutdown-timeout", "2"),
    ]
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        # The working directory is the test's empty one: no developer's .env reaches it.
        process = subprocess.Popen(  # noqa: S603 -- our own command line
            command, env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(log.read_text(errors="replace"))  # shown by pytest when the test fails


# --8<-- [end:worker_process]


async def poll(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """Read a job until it has finished, as a client would, for JOB_DEADLINE at most."""
    async with asyncio.timeout(JOB_DEADLINE):
        while True:
            job: dict[str, Any] = (await client.get(url)).json()
            if job["status"] in {"done", "failed"}:
                return job
            await asyncio.sleep(POLL_INTERVAL)


# --8<-- [start:end_to_end]
@pytest.mark.anyio
async def test_a_worker_runs_the_job_and_the_job_outlives_the_api(
    queue_settings: Settings, worker_process: subprocess.Popen[bytes]
) -> None:
    # One API process queues the export, then stops.
    first = create_app(queue_settings)
    async with first.router.lifespan_context(first):
        token = bearer(first, await add_user(first, "ada@example.com"))
        async with make_client(first) as client:
            client.headers.update(token)
            location = await queue_export(client)

    # Another one, started afresh, finds the job, which the worker runs meanwhile.
    second = create_app(queue_settings)
    async with second.router.lifespan_context(second), make_client(second) as client:
        client.headers.update(token)
        job = await poll(client, location)
        file = await client.get(job["links"]["file"])

    assert worker_process.poll() is None, "the worker stopped"
    assert (job["status"], job["attempts"], job["error"]) == ("done", 1, None)
    assert [row[1] for row in csv.reader(io.StringIO(file.text))] == ["title", "Dig"]


# --8<-- [end:end_to_end]


async def queue_export(client: httpx.AsyncClient) -> str:
    project = (await client.post("/api/v2/projects", json={"name": "Garden"})).json()
    await client.post(f"/api/v2/projects/{project['id']}/tasks", json={"title": "Dig"})
    accepted = await client.post(f"/api/v2/projects/{project['id']}/exports")
    assert accepted.status_code == 202, accepted.text
    location: str = accepted.headers["location"]
    return location
