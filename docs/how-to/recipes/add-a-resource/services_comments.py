"""The rules for comments: anyone who may see a task may read and write its comments."""

from typing import Any

from sqlalchemy import Row
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from acme_api.models import Comment, User
from acme_api.services.pagination import Keyset, KeysetPage, keyset_page
from acme_api.services.tasks import TaskService


class CommentService:
    """The comments on the tasks that `tasks` lets the acting user see.

    Args:
        session: The unit of work; the caller commits or rolls it back.
        tasks: Decides which tasks the acting user may see: their projects' rule.
        author: The acting user, who writes the new comments.

    """

    def __init__(self, session: AsyncSession, tasks: TaskService, author: User) -> None:
        self.session = session
        self.tasks = tasks
        self.author = author

    async def list_after(
        self, project_id: int, task_id: int, after: Keyset | None, limit: int
    ) -> KeysetPage[Row[Any]]:
        """Return a task's comments after a position, oldest first (keyset pagination).

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.
            TaskNotFoundError: The project has no such task.

        """
        await self.tasks.get(project_id, task_id)
        query = select(Comment).where(col(Comment.task_id) == task_id)
        return await keyset_page(self.session, query, model=Comment, after=after, limit=limit)

    async def create(self, project_id: int, task_id: int, body: str) -> Comment:
        """Add the acting user's comment to a task.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.
            TaskNotFoundError: The project has no such task.

        """
        await self.tasks.get(project_id, task_id)
        comment = Comment(body=body, task_id=task_id, author_id=self.author.id or 0)
        self.session.add(comment)
        await self.session.flush()
        return comment
