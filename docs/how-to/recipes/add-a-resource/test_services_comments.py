"""The comment rules, without HTTP: the task's visibility decides, and the author is recorded."""

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from acme_api.models import User
from acme_api.services.comments import CommentService
from acme_api.services.exceptions import ProjectNotFoundError, TaskNotFoundError
from acme_api.services.projects import NewProject, ProjectService
from acme_api.services.tasks import NewTask, TaskService

pytestmark = pytest.mark.anyio


@pytest.fixture
def comments(session: AsyncSession, tasks: TaskService, owner: User) -> CommentService:
    """The comment rules, acting as `owner`."""
    return CommentService(session, tasks=tasks, author=owner)


@pytest.fixture
async def task_ids(projects: ProjectService, tasks: TaskService) -> tuple[int, int]:
    project = await projects.create(NewProject(name="Garden"))
    assert project.id is not None
    task = await tasks.create(project.id, NewTask(title="Dig"))
    assert task.id is not None
    return project.id, task.id


async def test_a_comment_is_the_authors(
    comments: CommentService, task_ids: tuple[int, int], owner: User
) -> None:
    comment = await comments.create(*task_ids, "Deeper")

    assert (comment.task_id, comment.author_id, comment.body) == (task_ids[1], owner.id, "Deeper")


async def test_the_task_must_be_in_the_project(
    comments: CommentService, task_ids: tuple[int, int]
) -> None:
    project_id, task_id = task_ids

    with pytest.raises(TaskNotFoundError):
        await comments.create(project_id, task_id + 1, "Lost")


async def test_a_stranger_cannot_comment(
    session: AsyncSession, stranger: User, task_ids: tuple[int, int]
) -> None:
    theirs = TaskService(session, projects=ProjectService(session, actor=stranger))
    as_stranger = CommentService(session, tasks=theirs, author=stranger)

    with pytest.raises(ProjectNotFoundError):
        await as_stranger.create(*task_ids, "Mine now")
