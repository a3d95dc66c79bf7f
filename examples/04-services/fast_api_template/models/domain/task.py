"""Tasks, the items of work in a project."""

from typing import TYPE_CHECKING

from sqlmodel import Field, Relationship

from fast_api_template.models.base import IdMixin, TimestampMixin

if TYPE_CHECKING:
    from fast_api_template.models.domain.project import Project

TITLE_MAX_LENGTH = 200


# --8<-- [start:task]
class Task(IdMixin, TimestampMixin, table=True):
    """One item of work; it is deleted with its project."""

    __tablename__ = "tasks"

    title: str = Field(max_length=TITLE_MAX_LENGTH)
    done: bool = Field(default=False)
    project_id: int = Field(foreign_key="projects.id", ondelete="CASCADE", index=True)

    project: "Project" = Relationship(
        back_populates="tasks", sa_relationship_kwargs={"lazy": "raise_on_sql"}
    )


# --8<-- [end:task]
