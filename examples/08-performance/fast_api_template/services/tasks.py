"""The rules for tasks: they belong to a project, and an archived project takes no new ones.

API v1 and API v2 call the same methods. v1 speaks of `done`, v2 of `status`; both are
attributes of `Task` (`done` is derived from `status`, see the model), so the service applies
either without knowing which version asked, and imports neither version's schemas.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import Project, Task
from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.services.exceptions import ProjectArchivedError, TaskNotFoundError
from fast_api_template.services.pagination import (
    Keyset,
    KeysetPage,
    OffsetPage,
    PageParams,
    keyset_page,
)
from fast_api_template.services.projects import ProjectService, check_changes
from fast_api_template.services.summaries import note_change

# --8<-- [start:inputs]
# `done` is v1's view of the status: the model translates it (see Task.done).
CHANGEABLE = frozenset({"title", "status", "done"})


@dataclass(frozen=True)
class NewTask:
    """What a new task is made of. API v1 sends done=true as status=done."""

    title: str
    status: TaskStatus = TaskStatus.TODO


# --8<-- [end:inputs]


class TaskService:
    """The tasks of the projects that `projects` lets the acting user see.

    Args:
        session: The unit of work; the caller commits or rolls it back.
        projects: Decides which projects the acting user may see and change.

    """

    def __init__(self, session: AsyncSession, projects: ProjectService) -> None:
        self.session = session
        self.projects = projects

    async def list_page(
        self,
        project_id: int,
        page: PageParams,
        *,
        done: bool | None = None,
        status: TaskStatus | None = None,
    ) -> OffsetPage[Task]:
        """Return one page of a project's tasks, oldest first, with the number of matches.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.

        """
        await self.projects.get(project_id)
        conditions = self._filters(project_id, done=done, status=status)
        total = await self.session.exec(select(func.count()).select_from(Task).where(*conditions))
        tasks = await self.session.exec(
            select(Task)
            .where(*conditions)
            .order_by(col(Task.id))
            .offset(page.offset)
            .limit(page.limit)
        )
        return OffsetPage(
            items=list(tasks), total=total.one(), limit=page.limit, offset=page.offset
        )

    async def list_after(
        self,
        project_id: int,
        after: Keyset | None,
        limit: int,
        *,
        status: TaskStatus | None = None,
    ) -> KeysetPage[Row[Any]]:
        """Return a project's tasks after a position, oldest first (keyset pagination).

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.

        """
        await self.projects.check_visible(project_id)
        query = select(Task).where(*self._filters(project_id, status=status))
        return await keyset_page(self.session, query, model=Task, after=after, limit=limit)

    @staticmethod
    def _filters(
        project_id: int, *, done: bool | None = None, status: TaskStatus | None = None
    ) -> list[ColumnElement[bool]]:
        conditions = [col(Task.project_id) == project_id]
        if done is not None:
            # v1's done=false means every status but done: todo and doing.
            is_done = col(Task.status) == TaskStatus.DONE
            conditions.append(is_done if done else ~is_done)
        if status is not None:
            conditions.append(col(Task.status) == status)
        return conditions

    async def get(self, project_id: int, task_id: int) -> Task:
        """Return a task of a project.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.
            TaskNotFoundError: The project has no such task.

        """
        _, task = await self._project_and_task(project_id, task_id)
        return task

    async def _project_and_task(self, project_id: int, task_id: int) -> tuple[Project, Task]:
        project = await self.projects.get(project_id)
        task = (
            await self.session.exec(
                select(Task).where(col(Task.id) == task_id, col(Task.project_id) == project_id)
            )
        ).first()
        if task is None:
            raise TaskNotFoundError(project_id, task_id)
        return project, task

    # --8<-- [start:create]
    async def create(self, project_id: int, new: NewTask) -> Task:
        """Add a task to a project.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.
            ProjectArchivedError: The project is archived.

        """
        # Locked, so that the project cannot be archived between this check and the commit.
        project = await self.projects.get(project_id, for_update=True)
        if project.archived:
            raise ProjectArchivedError(project_id)
        task = Task(title=new.title, status=new.status, project_id=project_id)
        self.session.add(task)
        await self.session.flush()
        note_change(self.session, project.owner_id)
        return task

    # --8<-- [end:create]

    async def update(self, project_id: int, task_id: int, changes: Mapping[str, object]) -> Task:
        """Set the fields that `changes` names (title, status or done), and no other.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.
            TaskNotFoundError: The project has no such task.

        """
        check_changes(changes, CHANGEABLE)
        project, task = await self._project_and_task(project_id, task_id)
        _apply(task, changes)
        await self.session.flush()
        note_change(self.session, project.owner_id)
        return task

    async def delete(self, project_id: int, task_id: int) -> None:
        """Delete a task.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.
            TaskNotFoundError: The project has no such task.

        """
        project, task = await self._project_and_task(project_id, task_id)
        await self.session.delete(task)
        await self.session.flush()
        note_change(self.session, project.owner_id)


def _apply(task: Task, values: Mapping[str, object]) -> None:
    # setattr, not sqlmodel_update(): that one sets table columns only, and would drop v1's
    # `done`, which the model turns into a status.
    for name, value in values.items():
        setattr(task, name, value)
