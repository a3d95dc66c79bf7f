"""Table models. Importing this package registers every table on `SQLModel.metadata`."""

from fast_api_template.models.domain import Project, Task, User

__all__ = ["Project", "Task", "User"]
