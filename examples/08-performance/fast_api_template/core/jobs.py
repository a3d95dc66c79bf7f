"""The queue of background jobs, with taskiq: in this process, or through Redis to workers.

In-process (`InMemoryBroker`) needs nothing installed and runs a job in the API process: right
for development and tests. With a Redis URL, jobs go to a Redis list that worker processes
read (`taskiq worker fast_api_template.worker:broker`): a job survives a restart of the API,
and a slow one never holds an API process.
"""

from taskiq import AsyncBroker, InMemoryBroker
from taskiq_redis import ListQueueBroker

from fast_api_template.config import Settings


# --8<-- [start:create_broker]
def create_broker(settings: Settings) -> AsyncBroker:
    """Return a broker on Redis when a Redis URL is set, else one that runs jobs in-process."""
    if settings.redis.url is None:
        return InMemoryBroker()
    return ListQueueBroker(
        settings.redis.url.get_secret_value(), queue_name=f"{settings.redis.key_prefix}:jobs"
    )


# --8<-- [end:create_broker]
