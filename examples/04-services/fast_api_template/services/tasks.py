"""The rules for tasks: they belong to a project, and an archived project takes no new ones."""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import Task
from fast_api_template.services.exceptions import ProjectArchivedError, TaskNotFoundError
from fast_api_template.services.pagination import OffsetPage, PageParams
from fast_api_template.services.projects import ProjectService, check_changes

# --8<-- [start:inputs]
CHANGEABLE = frozenset({"title", "done"})


@dataclass(frozen=True)
class NewTask:
    """What a new task is made of."""

    title: str
    done: bool = False


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
        self, project_id: int, page: PageParams, *, done: bool | None = None
    ) -> OffsetPage[Task]:
        """Return one page of a project's tasks, oldest first, with the number of matches.

        Raises:
            ProjectNotFoundError: No such project, or it belongs to someone else.

        """
        await self.projects.get(project_id)
        conditions = [col(Task.project_id) == project_id]
        if done is not None:
            conditions.append(col(Task.done) == done)
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

    async def get(self, project_id: int, task_id: int) -> Task:
        """Return a task of a project.

        Raises:
            ProjectNotFoundError: No such project, or it belongs to someone else.
            TaskNotFoundError: The project has no such task.

        """
        await self.projects.get(project_id)
        task = (
            await self.session.exec(
                select(Task).where(col(Task.id) == task_id, col(Task.project_id) == project_id)
            )
        ).first()
        if task is None:
            raise TaskNotFoundError(project_id, task_id)
        return task

    # --8<-- [start:create]
    async def create(self, project_id: int, new: NewTask) -> Task:
        """Add a task to a project.

        Raises:
            ProjectNotFoundError: No such project, or it belongs to someone else.
            ProjectArchivedError: The project is archived.

        """
        # Locked, so that the project cannot be archived between this check and the commit.
        project = await self.projects.get(project_id, for_update=True)
        if project.archived:
            raise ProjectArchivedError(project_id)
        task = Task(title=new.title, done=new.done, project_id=project_id)
        self.session.add(task)
        await self.session.flush()
        return task

    # --8<-- [end:create]

    async def update(self, project_id: int, task_id: int, changes: Mapping[str, object]) -> Task:
        """Set the fields that `changes` names (title, done), and no other.

        Raises:
            ProjectNotFoundError: No such project, or it belongs to someone else.
            TaskNotFoundError: The project has no such task.

        """
        check_changes(changes, CHANGEABLE)
        task = await self.get(project_id, task_id)
        for name, value in changes.items():
            setattr(task, name, value)
        await self.session.flush()
        return task

    async def delete(self, project_id: int, task_id: int) -> None:
        """Delete a task.

        Raises:
            ProjectNotFoundError: No such project, or it belongs to someone else.
            TaskNotFoundError: The project has no such task.

        """
        task = await self.get(project_id, task_id)
        await self.session.delete(task)
        await self.session.flush()
