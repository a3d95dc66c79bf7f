"""The errors that the business rules raise.

Each carries what an API needs to report it (a stable `code`, a `title` and a `detail` for
people) but nothing of HTTP: `api/errors.py` maps the two families, `NotFoundError` and
`ConflictError`, to status codes in one place.
"""

from typing import ClassVar


# --8<-- [start:exceptions]
class DomainError(Exception):
    """A business rule refused the operation."""

    code: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "The operation is not allowed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """The thing does not exist, or the acting user may not see it."""

    code = "not-found"
    title = "Not found"


class ConflictError(DomainError):
    """The operation conflicts with the current state of the thing."""

    code = "conflict"
    title = "Conflict with the current state"


class ProjectNotFoundError(NotFoundError):
    """No project with this id belongs to the acting user."""

    code = "project-not-found"
    title = "Project not found"

    def __init__(self, project_id: int) -> None:
        super().__init__(f"There is no project {project_id}.")
        self.project_id = project_id


class TaskNotFoundError(NotFoundError):
    """The project has no task with this id."""

    code = "task-not-found"
    title = "Task not found"

    def __init__(self, project_id: int, task_id: int) -> None:
        super().__init__(f"Project {project_id} has no task {task_id}.")
        self.project_id = project_id
        self.task_id = task_id


class DuplicateProjectNameError(ConflictError):
    """The owner already has a project of this name."""

    code = "duplicate-project-name"
    title = "Project name already used"

    def __init__(self, name: str) -> None:
        super().__init__(f"You already have a project named {name!r}.")
        self.name = name


class ProjectArchivedError(ConflictError):
    """The project is archived, so it takes no new tasks."""

    code = "project-archived"
    title = "Project is archived"

    def __init__(self, project_id: int) -> None:
        super().__init__(f"Project {project_id} is archived: unarchive it to add tasks.")
        self.project_id = project_id


class InvalidCursorError(DomainError):
    """A pagination cursor that this service did not issue for this list."""

    code = "invalid-cursor"
    title = "Invalid cursor"


# --8<-- [end:exceptions]
