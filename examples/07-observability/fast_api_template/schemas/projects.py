"""Request and response bodies for projects."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from fast_api_template.models.domain.project import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from fast_api_template.schemas.fields import Storable, not_null

ProjectName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH),
    Storable,
    Field(description="Unique among the projects of one owner. Spaces around it are removed."),
]
ProjectDescription = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX_LENGTH),
    Storable,
    Field(description="What the project is about."),
]


# --8<-- [start:schemas]
class ProjectCreate(BaseModel):
    """A new project."""

    model_config = ConfigDict(extra="forbid")

    name: ProjectName
    description: ProjectDescription | None = None


class ProjectUpdate(BaseModel):
    """Changes to a project: only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    # `| SkipJsonSchema[None]`: left out means "unchanged", but null is no valid name.
    name: ProjectName | SkipJsonSchema[None] = None
    description: ProjectDescription | None = Field(default=None, description="null clears it.")
    archived: bool | SkipJsonSchema[None] = None

    _not_null = field_validator("name", "archived")(not_null)


class ProjectRead(BaseModel):
    """A project as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    archived: bool = Field(description="An archived project takes no new tasks.")
    created_at: datetime
    updated_at: datetime


# --8<-- [end:schemas]
