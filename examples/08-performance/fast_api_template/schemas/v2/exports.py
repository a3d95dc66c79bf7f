"""Response bodies for project exports (API v2): a job, its status and where to follow it."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from fast_api_template.models.domain.export_job import ExportJob, ExportStatus


class ExportLinks(BaseModel):
    """Where to follow a job."""

    self: str = Field(description="The job: poll it until its status is done or failed.")
    file: str | None = Field(description="The CSV, once the status is done; else null.")


class ExportJobRead(BaseModel):
    """An export job as API v2 shows it."""

    id: uuid.UUID
    project_id: int
    status: ExportStatus = Field(description="queued, running, done or failed.")
    attempts: int = Field(description="Runs started; more than one after a passing failure.")
    error: str | None = Field(description="Why the job failed, when it did; else null.")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    links: ExportLinks

    @classmethod
    def of(cls, job: ExportJob, *, links: ExportLinks) -> "ExportJobRead":
        """Show a job, with the links that the API gives it."""
        return cls(
            id=job.id,
            project_id=job.project_id,
            status=job.status,
            attempts=job.attempts,
            error=job.error,
            created_at=job.created_at,
            updated_at=job.updated_at,
            finished_at=job.finished_at,
            links=links,
        )
