"""Export jobs: a request to export a project as CSV, and how it went."""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from fast_api_template.models.base import TimestampMixin, UTCDateTime

IDEMPOTENCY_KEY_MAX_LENGTH = 128
ERROR_MAX_LENGTH = 200


class ExportStatus(StrEnum):
    """Where an export job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED = frozenset({ExportStatus.DONE, ExportStatus.FAILED})
"""The statuses that a job never leaves: a job in one of them is never run again."""


class ExportJob(TimestampMixin, table=True):
    """One export of a project's tasks as CSV, run by a worker, kept in the database.

    The row is the job's state, not the queue's message: it outlives a restart of the API
    or of a worker, and every replica reads the same one. The CSV is kept in `result`.
    """

    __tablename__ = "export_jobs"
    # The unique constraint makes a retried request (same Idempotency-Key, same user) find the
    # job of the first one instead of making a second; a NULL key never collides. The index
    # serves the ON DELETE CASCADE of a project, which PostgreSQL does not index by itself.
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "idempotency_key"),
        sa.Index(None, "project_id"),
    )

    # A random id, not a counter: a job's URL tells nobody how many exports others made.
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Who asked (the project's owner or an admin); only they, and admins, see the job.
    owner_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    project_id: int = Field(foreign_key="projects.id", ondelete="CASCADE")
    status: ExportStatus = Field(
        default=ExportStatus.QUEUED,
        # As for tasks: a string column with a CHECK constraint, values stored.
        sa_type=sa.Enum(
            ExportStatus,
            name="status",
            native_enum=False,
            create_constraint=True,
            length=max(len(status) for status in ExportStatus),
            values_callable=lambda statuses: [status.value for status in statuses],
        ),
    )
    # Runs started: more than one when the database failed and the job was tried again.
    attempts: int = Field(default=0)
    idempotency_key: str | None = Field(default=None, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    result: str | None = Field(default=None, sa_type=sa.Text)
    # A short reason for people, never a traceback or a value from the data.
    error: str | None = Field(default=None, max_length=ERROR_MAX_LENGTH)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
