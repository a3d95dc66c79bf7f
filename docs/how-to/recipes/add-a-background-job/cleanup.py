"""Clearing a project's done tasks: the work of a background job, as plain functions."""

from datetime import datetime

from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from acme_api.models import Project, Task
from acme_api.models.domain.task import TaskStatus
from acme_api.services.summaries import note_change


async def clear_done_tasks(session: AsyncSession, project_id: int, *, before: datetime) -> int:
    """Delete the project's tasks that were done before `before`; return how many.

    Idempotent: a second run with the same arguments deletes nothing more, since the tasks
    it would delete are gone, and a task done after `before` stays. So a job that runs twice
    (a retry, a message delivered again) does no harm.
    """
    project = await session.get(Project, project_id)
    if project is None:
        return 0  # the project was deleted after the request: nothing left to clear
    statement = delete(Task).where(
        col(Task.project_id) == project_id,
        col(Task.status) == TaskStatus.DONE,
        col(Task.updated_at) < before,
    )
    result = await session.exec(statement)
    if result.rowcount:
        note_change(session, project.owner_id)  # the owner's summaries count these tasks
    return result.rowcount
