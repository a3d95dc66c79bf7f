"""The tables of the task tracker: users own projects, projects hold tasks, exports copy them."""

from fast_api_template.models.domain.export_job import ExportJob
from fast_api_template.models.domain.project import Project
from fast_api_template.models.domain.refresh_token import RefreshToken
from fast_api_template.models.domain.task import Task
from fast_api_template.models.domain.user import User

__all__ = ["ExportJob", "Project", "RefreshToken", "Task", "User"]
