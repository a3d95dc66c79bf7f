"""Routes for project exports (API v2): ask for one, follow the job, download its CSV.

An export runs on the job queue (core/jobs.py; worker.py runs it), not in the request: the POST
answers 202 Accepted at once with the job's URL, which the client polls until the job is done.
The service (services/exports.py) holds the orchestration; these routes parse and answer.
"""

import uuid
from datetime import timedelta
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Request, Response

from fast_api_template.api.deps import UNAUTHORIZED, ExportServiceDep, ProjectId, ResourcesDep
from fast_api_template.models.domain.export_job import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    ExportJob,
    ExportStatus,
)
from fast_api_template.schemas.problems import Problem
from fast_api_template.schemas.v2.exports import ExportJobRead, ExportLinks
from fast_api_template.services.exports import ExportQuota, sweep_expired_exports

router = APIRouter(tags=["exports"], responses=UNAUTHORIZED)

_KEY = rf"[A-Za-z0-9._:-]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}"
# A key is a client's name for one request, a UUID say. The IETF draft on this header sends it
# as a quoted string; most clients send it bare. Both are accepted and name the same key.
IDEMPOTENCY_KEY_PATTERN: Final = rf'^(?:{_KEY}|"{_KEY}")$'

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH + 2,
        description=(
            "Your name for this request, new for each request (a UUID, say), and the same "
            f"when you retry it: 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters of "
            "A-Z a-z 0-9 . _ : -, bare or in double quotes."
        ),
    ),
]


async def get_idempotency_key(key: IdempotencyKeyHeader = None) -> str | None:
    """Return the request's Idempotency-Key, without the quotes of its quoted form."""
    return None if key is None else key.strip('"')


IdempotencyKey = Annotated[str | None, Depends(get_idempotency_key)]

ExportJobId = Annotated[uuid.UUID, Path(description="The export job's id.")]

REQUESTED: Final[dict[int | str, dict[str, Any]]] = {
    HTTPStatus.ACCEPTED: {
        "description": "The job: a new one, or that of an earlier request with this key",
        "headers": {
            "Location": {
                "description": "The job's URL: poll it until its status is done or failed.",
                "required": True,
                "schema": {"type": "string"},
            },
            "Idempotent-Replayed": {
                "description": "true when an earlier request with this key made the job.",
                "schema": {"type": "string"},
            },
        },
    },
    HTTPStatus.CONFLICT: {
        "model": Problem,
        "description": "The Idempotency-Key was sent with an export of another project",
    },
    HTTPStatus.TOO_MANY_REQUESTS: {
        "model": Problem,
        "description": "You hold as many exports as you may, until the oldest expires",
        "headers": {
            "Retry-After": {
                "description": "Seconds until the oldest of your exports expires.",
                "schema": {"type": "integer"},
            }
        },
    },
}
FILE: Final[dict[int | str, dict[str, Any]]] = {
    HTTPStatus.OK: {"description": "The project's tasks, a header row then one row a task"},
    HTTPStatus.CONFLICT: {"model": Problem, "description": "The job is not done, or failed"},
}


class CsvResponse(Response):
    """A CSV file (RFC 4180), in UTF-8."""

    media_type = "text/csv"


def links_of(request: Request, job: ExportJob) -> ExportLinks:
    """Give a job its links, made from the routes below rather than typed twice."""
    job_id = str(job.id)
    done = job.status == ExportStatus.DONE
    return ExportLinks(
        self=request.app.url_path_for("get_export", job_id=job_id),
        file=request.app.url_path_for("download_export", job_id=job_id) if done else None,
    )


# --8<-- [start:request]
@router.post(
    "/projects/{project_id:int}/exports", status_code=HTTPStatus.ACCEPTED, responses=REQUESTED
)
async def request_export(
    project_id: ProjectId,
    key: IdempotencyKey,
    request: Request,
    response: Response,
    exports: ExportServiceDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
) -> ExportJobRead:
    """Export a project's tasks as CSV: the job runs later; follow it at its Location.

    Send an Idempotency-Key to retry safely: the same key for the same project gets the same
    job (with `Idempotent-Replayed: true`), never a second one. You hold at most
    `jobs.exports_per_user` exports at once, each until `jobs.export_ttl_hours` after it
    finished; one more answers 429.
    """
    jobs = resources.settings.jobs
    quota = ExportQuota(jobs.exports_per_user, timedelta(hours=jobs.export_ttl_hours))
    # The service queues a new job once the request's unit of work commits (services/exports.py).
    requested = await exports.request(project_id, quota=quota, idempotency_key=key)
    if not requested.created:
        response.headers["Idempotent-Replayed"] = "true"
    links = links_of(request, requested.job)
    response.headers["Location"] = links.self
    # --8<-- [start:background]
    # After the response, in this process: tidies sooner what every worker's sweep deletes
    # anyway (worker.py), so losing it costs nothing. Work that must happen goes on the queue.
    background.add_task(
        sweep_expired_exports,
        resources.session_factory,
        quota.keep_for,
        owner_id=requested.job.owner_id,
    )
    # --8<-- [end:background]
    return ExportJobRead.of(requested.job, links=links)


# --8<-- [end:request]


@router.get("/exports/{job_id:uuid}")
async def get_export(
    job_id: ExportJobId, request: Request, exports: ExportServiceDep
) -> ExportJobRead:
    """Show one of your export jobs: poll it until its status is done (or failed)."""
    job = await exports.get(job_id)
    return ExportJobRead.of(job, links=links_of(request, job))


@router.get("/exports/{job_id:uuid}/file", response_class=CsvResponse, responses=FILE)
async def download_export(job_id: ExportJobId, exports: ExportServiceDep) -> CsvResponse:
    """Download the CSV of one of your exports, once its status is done."""
    file = await exports.file(job_id)
    # The name is ours, made of the project's id: nothing that a user typed goes in a header.
    disposition = f'attachment; filename="{file.filename}"'
    return CsvResponse(file.content, headers={"Content-Disposition": disposition})
