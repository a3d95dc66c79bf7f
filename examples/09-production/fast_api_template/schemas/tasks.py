"""Request and response bodies for tasks (API v1: a task is done or not)."""

from datetime import datetime
from typing import Annotated

from pydantic import MISSING, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from fast_api_template.models.domain.task import TITLE_MAX_LENGTH
from fast_api_template.schemas.base import RequestBody
from fast_api_template.schemas.fields import Storable

TaskTitle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
    Storable,
    Field(description="What is to be done. Spaces around it are removed."),
]


class TaskCreate(RequestBody):
    """A new task."""

    title: TaskTitle
    done: StrictBool = False


class TaskUpdate(RequestBody):
    """Changes to a task: only the fields sent are changed."""

    # MISSING: a field left out stays unchanged and is left out of model_dump().
    title: TaskTitle | MISSING = MISSING
    done: StrictBool | MISSING = MISSING


class TaskRead(BaseModel):
    """A task as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    title: str
    done: bool
    created_at: datetime
    updated_at: datetime
