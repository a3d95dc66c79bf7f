"""Request and response bodies for tasks in API v2: a task has a status, not a done flag."""

from datetime import datetime

from pydantic import MISSING, BaseModel, ConfigDict, Field

from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.schemas.base import RequestBody
from fast_api_template.schemas.tasks import TaskTitle


class TaskCreate(RequestBody):
    """A new task."""

    title: TaskTitle
    status: TaskStatus = Field(default=TaskStatus.TODO, description="todo, doing or done.")


class TaskUpdate(RequestBody):
    """Changes to a task: only the fields sent are changed."""

    # MISSING: a field left out stays unchanged and is left out of model_dump().
    title: TaskTitle | MISSING = MISSING
    status: TaskStatus | MISSING = Field(default=MISSING, description="todo, doing or done.")


class TaskRead(BaseModel):
    """A task as API v2 shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    title: str
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
