"""Routes for comments on tasks, new in API v2: a list paged with a cursor, and a new comment."""

from http import HTTPStatus
from typing import Any

from fastapi import APIRouter

from acme_api.api.deps import UNAUTHORIZED, CommentServiceDep, CursorDep, ProjectId, TaskId
from acme_api.schemas.pagination import CursorPage
from acme_api.schemas.problems import Problem
from acme_api.schemas.v2.comments import CommentCreate, CommentRead

router = APIRouter(
    prefix="/projects/{project_id:int}/tasks/{task_id:int}/comments",
    tags=["comments"],
    responses=UNAUTHORIZED,
)

BAD_CURSOR: dict[int | str, dict[str, Any]] = {
    HTTPStatus.BAD_REQUEST: {"model": Problem, "description": "Invalid cursor"}
}


def scope(project_id: int, task_id: int) -> str:
    """Name the comment list of one task: its cursors are valid there only."""
    return f"projects/{project_id}/tasks/{task_id}/comments"


@router.get("", responses=BAD_CURSOR)
async def list_comments(
    project_id: ProjectId, task_id: TaskId, comments: CommentServiceDep, page: CursorDep
) -> CursorPage[CommentRead]:
    """List the comments on a task of one of your projects, oldest first, a page at a time."""
    where = scope(project_id, task_id)
    result = await comments.list_after(project_id, task_id, page.position(where), page.limit)
    return page.page(result, CursorPage[CommentRead], scope=where)


@router.post("", status_code=HTTPStatus.CREATED)
async def create_comment(
    project_id: ProjectId, task_id: TaskId, data: CommentCreate, comments: CommentServiceDep
) -> CommentRead:
    """Comment on a task of one of your projects."""
    return CommentRead.model_validate(await comments.create(project_id, task_id, data.body))
