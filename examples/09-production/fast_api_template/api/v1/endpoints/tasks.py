"""Routes for the tasks of a project: parse the request, call the service, shape the response.

Two routers: `router` holds the route that API v2 serves unchanged (delete), `v1_only` those
that v2 replaced, since a v2 task has a status instead of a done flag.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fast_api_template.api.deps import UNAUTHORIZED, PageDep, ProjectId, TaskId, TaskServiceDep
from fast_api_template.api.http_cache import NOT_MODIFIED, IfNoneMatch, conditional, etag_of
from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.schemas.pagination import Page
from fast_api_template.schemas.problems import Problem
from fast_api_template.schemas.tasks import TaskCreate, TaskRead, TaskUpdate
from fast_api_template.services.tasks import NewTask

router = APIRouter(
    prefix="/projects/{project_id:int}/tasks", tags=["tasks"], responses=UNAUTHORIZED
)
v1_only = APIRouter(
    prefix="/projects/{project_id:int}/tasks", tags=["tasks"], responses=UNAUTHORIZED
)


def status_of(done: bool) -> TaskStatus:
    """Translate v1's done flag into the status of a new task."""
    return TaskStatus.DONE if done else TaskStatus.TODO


@v1_only.get("")
async def list_tasks(
    project_id: ProjectId,
    tasks: TaskServiceDep,
    page: PageDep,
    done: Annotated[bool | None, Query(description="Only done (true) or open (false).")] = None,
) -> Page[TaskRead]:
    """List the tasks of one of your projects, oldest first."""
    result = await tasks.list_page(project_id, page, done=done)
    return Page[TaskRead].model_validate(result)


@v1_only.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        status.HTTP_409_CONFLICT: {"model": Problem, "description": "The project is archived"}
    },
)
async def create_task(project_id: ProjectId, data: TaskCreate, tasks: TaskServiceDep) -> TaskRead:
    """Add a task to one of your projects, unless it is archived."""
    return TaskRead.model_validate(
        await tasks.create(project_id, NewTask(title=data.title, status=status_of(data.done)))
    )


@v1_only.get("/{task_id:int}", response_model=TaskRead, responses=NOT_MODIFIED)
async def get_task(
    project_id: ProjectId,
    task_id: TaskId,
    tasks: TaskServiceDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Show one task; 304 if your copy (its ETag) is current."""
    task = await tasks.get(project_id, task_id)
    return conditional(TaskRead.model_validate(task), etag_of(task), if_none_match)


@v1_only.patch("/{task_id:int}")
async def update_task(
    project_id: ProjectId, task_id: TaskId, changes: TaskUpdate, tasks: TaskServiceDep
) -> TaskRead:
    """Change the fields you send, and only those."""
    return TaskRead.model_validate(
        await tasks.update(project_id, task_id, changes.model_dump(exclude_unset=True))
    )


@router.delete("/{task_id:int}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_task(project_id: ProjectId, task_id: TaskId, tasks: TaskServiceDep) -> None:
    """Delete a task."""
    await tasks.delete(project_id, task_id)
