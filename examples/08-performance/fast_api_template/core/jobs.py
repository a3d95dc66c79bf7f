"""The queue of background jobs, with taskiq: in this process, or through Redis to workers.

In-process (`InProcessBroker`) needs nothing installed and runs a job in the API process: right
for development and tests. With a Redis URL, jobs go to a Redis stream that worker processes
read (`taskiq worker fast_api_template.worker:broker`): a job waits there while the API
restarts, and a slow one never holds an API process.

The endpoints and services queue a job by its task name, with `enqueue`, and import nothing of
the worker's code; the app factory (`app.py`) does, to register the jobs on the broker.
"""

import asyncio
import contextlib
import uuid
from typing import Any, Final

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.exceptions import SendTaskError
from taskiq.kicker import AsyncKicker
from taskiq_redis import RedisStreamBroker

from fast_api_template.config import Settings
from fast_api_template.core.errors import UnavailableError

EXPORT_PROJECT: Final = "fast_api_template.export_project"
"""The task that exports a project: the API queues it by this name, worker.py registers it."""

# How long a client should wait before it asks again when the queue does not answer.
QUEUE_RETRY_AFTER_SECONDS: Final = 5
# How long a worker blocks on Redis for new messages before it looks for abandoned ones.
READ_BLOCK_SECONDS: Final = 2
# Messages that the stream keeps, acknowledged or not (Redis trims the oldest): far more than
# a healthy backlog, and a bound on the memory that old messages take.
STREAM_MAX_LENGTH: Final = 100_000
# A message that a worker took and did not acknowledge for this long (the worker died) goes
# to another worker. Longer than an export takes, or the job would run twice at once.
REDELIVER_AFTER_SECONDS: Final = 600
# How long an app's shutdown waits for the jobs that run in its process.
SHUTDOWN_GRACE_SECONDS: Final = 10.0


# --8<-- [start:create_broker]
def create_broker(settings: Settings) -> AsyncBroker:
    """Return a broker on Redis when a Redis URL is set, else one that runs jobs in-process."""
    if settings.redis.url is None:
        return InProcessBroker()
    timeout = settings.redis.timeout
    return JobStream(
        settings.redis.url.get_secret_value(),
        queue_name=f"{settings.redis.key_prefix}:jobs",
        # A new group reads the stream from its start: a job queued before the first
        # worker ever started is not skipped.
        consumer_id="0",
        maxlen=STREAM_MAX_LENGTH,
        xread_block=READ_BLOCK_SECONDS * 1000,
        idle_timeout=REDELIVER_AFTER_SECONDS * 1000,
        # A worker killed while it holds the lock on abandoned messages must not keep it.
        unacknowledged_lock_timeout=REDELIVER_AFTER_SECONDS,
        # Bounded like every other call to Redis; a read may block for READ_BLOCK_SECONDS.
        socket_connect_timeout=timeout,
        socket_timeout=timeout + READ_BLOCK_SECONDS,
    )


# --8<-- [end:create_broker]


class InProcessBroker(InMemoryBroker):
    """Run each job in a task of this process, as soon as it is queued.

    Nothing to install, and nothing survives the process: a job that runs when the process
    stops is lost (its row stays `running`). At shutdown the running jobs get a few seconds
    to finish.
    """

    async def shutdown(self) -> None:
        """Wait a little for the jobs that still run, then close."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wait_all(), SHUTDOWN_GRACE_SECONDS)
        await super().shutdown()


class JobStream(RedisStreamBroker):
    """Jobs in a Redis stream: read by workers in a consumer group, acknowledged once run.

    A message stays pending until its worker acknowledges it, after the job ran; a worker
    that dies mid-job leaves it to another one (see `REDELIVER_AFTER_SECONDS`).
    """

    async def startup(self) -> None:
        """Start; in a worker, also create the consumer group that the workers share."""
        if self.is_worker_process:
            await super().startup()
            return
        # The API only adds messages, which needs no group: skipping it lets the API start
        # while Redis is down (exports answer 503 until it is back).
        await super(RedisStreamBroker, self).startup()


# --8<-- [start:enqueue]
async def enqueue(broker: AsyncBroker, task_name: str, *args: str, job_id: str) -> None:
    """Queue a job by the name of its task, without importing the code that runs it.

    Args:
        broker: The queue.
        task_name: The task that runs the job, as the worker registered it.
        *args: The task's arguments: plain text, which the message carries as JSON.
        job_id: Our id for the job, which taskiq's log lines then show.

    Raises:
        UnavailableError: The queue (Redis) does not answer.

    """
    kicker: AsyncKicker[Any, Any] = AsyncKicker(task_name=task_name, broker=broker, labels={})
    try:
        await kicker.with_task_id(job_id).kiq(*args)
    except SendTaskError as error:
        raise UnavailableError(
            "The job queue does not answer. Try again shortly.",
            retry_after=QUEUE_RETRY_AFTER_SECONDS,
        ) from error


# --8<-- [end:enqueue]


# --8<-- [start:broker_queue]
class BrokerQueue:
    """The export service's queue (`services.exports.JobQueue`), on a taskiq broker."""

    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker

    async def put_export(self, job_id: uuid.UUID) -> None:
        """Queue the run of one export job; its id is the message's only content.

        Raises:
            UnavailableError: The queue (Redis) does not answer.

        """
        await enqueue(self.broker, EXPORT_PROJECT, str(job_id), job_id=str(job_id))


# --8<-- [end:broker_queue]
