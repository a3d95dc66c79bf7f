"""Request and response bodies for tasks (API v1: a task is done or not)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from fast_api_template.models.domain.task import TITLE_MAX_LENGTH
from fast_api_template.schemas.fields import Storable, not_null

TaskTitle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
    Storable,
    Field(description="What is to be done. Spaces around it are removed."),
]


class TaskCreate(BaseModel):
    """A new task."""

    model_config = ConfigDict(extra="forbid")

    title: TaskTitle
    done: bool = False


class TaskUpdate(BaseModel):
    """Changes to a task: only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    title: TaskTitle | SkipJsonSchema[None] = None
    done: bool | SkipJsonSchema[None] = None

    _not_null = field_validator("title", "done")(not_null)


class TaskRead(BaseModel):
    """A task as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    title: str
    done: bool
    created_at: datetime
    updated_at: datetime
