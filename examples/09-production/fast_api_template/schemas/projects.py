"""Request and response bodies for projects."""

from datetime import datetime
from typing import Annotated

from pydantic import MISSING, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from fast_api_template.models.domain.project import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from fast_api_template.schemas.base import RequestBody
from fast_api_template.schemas.fields import Storable

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
class ProjectCreate(RequestBody):
    """A new project."""

    name: ProjectName
    description: ProjectDescription | None = None


class ProjectUpdate(RequestBody):
    """Changes to a project: only the fields sent are changed."""

    # MISSING: a field left out stays unchanged and is left out of model_dump(); null is no
    # valid name, so only the description, which may be empty, accepts it.
    name: ProjectName | MISSING = MISSING
    description: ProjectDescription | MISSING | None = Field(
        default=MISSING, description="null clears it."
    )
    archived: StrictBool | MISSING = MISSING


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
