"""The errors that the task tracker's rules raise.

Each is a member of one of the families in `core/errors.py` (`NotFoundError`,
`ConflictError`, `AuthenticationError`...), which `api/errors.py` maps to status codes.
"""

from fast_api_template.core.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    InvalidTokenError,
    NotFoundError,
)


# --8<-- [start:exceptions]
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


class UserNotFoundError(NotFoundError):
    """No user with this id."""

    code = "user-not-found"
    title = "User not found"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"There is no user {user_id}.")
        self.user_id = user_id


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


class InvalidCredentialsError(AuthenticationError):
    """The email or the password is wrong; which of the two is deliberately not said."""

    code = "invalid-credentials"
    title = "Invalid credentials"

    def __init__(self) -> None:
        super().__init__("The email or the password is wrong.")


class RefreshTokenReusedError(InvalidTokenError):
    """A spent refresh token came back: every token of its login is now revoked."""

    code = "refresh-token-reused"
    title = "Refresh token reused"

    def __init__(self) -> None:
        super().__init__("This refresh token was already used; log in again.")


class EmailTakenError(ConflictError):
    """An account with this email already exists."""

    code = "email-taken"
    title = "Email already registered"

    def __init__(self) -> None:
        super().__init__("An account with this email already exists.")
