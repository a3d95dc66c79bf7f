"""Request and response bodies for tasks in API v2: a task has a status, not a done flag."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.schemas.fields import not_null
from fast_api_template.schemas.tasks import TaskTitle


# --8<-- [start:schemas]
class TaskCreate(BaseModel):
    """A new task."""

    model_config = ConfigDict(extra="forbid")

    title: TaskTitle
    status: TaskStatus = Field(default=TaskStatus.TODO, description="todo, doing or done.")


class TaskUpdate(BaseModel):
    """Changes to a task: only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    title: TaskTitle | SkipJsonSchema[None] = None
    status: TaskStatus | SkipJsonSchema[None] = Field(
        default=None, description="todo, doing or done."
    )

    _not_null = field_validator("title", "status")(not_null)


class TaskRead(BaseModel):
    """A task as API v2 shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    title: str
    status: TaskStatus
    created_at: datetime
    updated_at: datetime


# --8<-- [end:schemas]
