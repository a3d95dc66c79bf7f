"""The worker process: the jobs that run outside requests, and their broker.

Start workers with taskiq's own command, with the same settings as the API:

    taskiq worker fast_api_template.worker:broker

In-process (no Redis URL), the API registers the same jobs on its own broker and runs them.
"""

from taskiq import AsyncBroker

from fast_api_template.config import Settings
from fast_api_template.db import SessionFactory


def register_jobs(
    broker: AsyncBroker, *, session_factory: SessionFactory, settings: Settings
) -> None:
    """Register every job of the service on `broker`, with what the jobs need to run."""
    del broker, session_factory, settings  # the export job arrives with the exports
