"""Routes for tasks in API v2: a task has a status, and the list is paged with a cursor.

Deleting a task did not change: api/v2/router.py includes v1's route for it.
"""

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Query

from fast_api_template.api.deps import UNAUTHORIZED, CursorDep, ProjectId, TaskId, TaskServiceDep
from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.schemas.pagination import CursorPage
from fast_api_template.schemas.problems import Problem
from fast_api_template.schemas.v2.tasks import TaskCreate, TaskRead, TaskUpdate
from fast_api_template.services.tasks import NewTask

router = APIRouter(
    prefix="/projects/{project_id:int}/tasks", tags=["tasks"], responses=UNAUTHORIZED
)

BAD_CURSOR: dict[int | str, dict[str, Any]] = {
    HTTPStatus.BAD_REQUEST: {"model": Problem, "description": "Invalid cursor"}
}


def scope(project_id: int) -> str:
    """Name the task list of one project: its cursors are valid there only."""
    return f"projects/{project_id}/tasks"


# --8<-- [start:list]
@router.get("", responses=BAD_CURSOR)
async def list_tasks(
    project_id: ProjectId,
    tasks: TaskServiceDep,
    page: CursorDep,
    status: Annotated[TaskStatus | None, Query(description="Only tasks with this status.")] = None,
) -> CursorPage[TaskRead]:
    """List the tasks of one of your projects, oldest first, a page at a time."""
    result = await tasks.list_after(
        project_id, page.position(scope(project_id)), page.limit, status=status
    )
    return page.page(result, TaskRead, scope=scope(project_id))


# --8<-- [end:list]


@router.post(
    "",
    status_code=HTTPStatus.CREATED,
    responses={HTTPStatus.CONFLICT: {"model": Problem, "description": "The project is archived"}},
)
async def create_task(project_id: ProjectId, data: TaskCreate, tasks: TaskServiceDep) -> TaskRead:
    """Add a task to one of your projects, unless it is archived."""
    return TaskRead.model_validate(
        await tasks.create(project_id, NewTask(title=data.title, status=data.status))
    )


@router.get("/{task_id:int}")
async def get_task(project_id: ProjectId, task_id: TaskId, tasks: TaskServiceDep) -> TaskRead:
    """Show one task."""
    return TaskRead.model_validate(await tasks.get(project_id, task_id))


@router.patch("/{task_id:int}")
async def update_task(
    project_id: ProjectId, task_id: TaskId, changes: TaskUpdate, tasks: TaskServiceDep
) -> TaskRead:
    """Change the fields you send, and only those."""
    return TaskRead.model_validate(
        await tasks.update(project_id, task_id, changes.model_dump(exclude_unset=True))
    )
