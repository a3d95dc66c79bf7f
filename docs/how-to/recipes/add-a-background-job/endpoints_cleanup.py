"""A route that queues a background job: clear a project's done tasks, new in API v2."""

import uuid
from http import HTTPStatus

from fastapi import APIRouter

from acme_api.api.deps import UNAUTHORIZED, Clock, ProjectId, ProjectServiceDep, ResourcesDep
from acme_api.core.jobs import CLEAR_DONE_TASKS, enqueue

router = APIRouter(
    prefix="/projects/{project_id:int}/tasks", tags=["tasks"], responses=UNAUTHORIZED
)


@router.post("/clear-done", status_code=HTTPStatus.ACCEPTED)
async def clear_done_tasks(
    project_id: ProjectId, projects: ProjectServiceDep, resources: ResourcesDep, clock: Clock
) -> None:
    """Delete the tasks of one of your projects that are done, soon: 202, then a job does it."""
    await projects.check_visible(project_id)
    # The cut-off is the request's time: a task finished after it stays, however late the
    # job runs, and a job that runs twice deletes the same tasks.
    before = clock().isoformat()
    await enqueue(
        resources.broker, CLEAR_DONE_TASKS, str(project_id), before, job_id=uuid.uuid4().hex
    )
