"""Table models. Importing this package registers every table on `SQLModel.metadata`."""

from fast_api_template.models.domain import ExportJob, Project, RefreshToken, Task, User

__all__ = ["ExportJob", "Project", "RefreshToken", "Task", "User"]
