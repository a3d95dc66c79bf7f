"""Projects, which group tasks and belong to one user."""

from typing import TYPE_CHECKING

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, Relationship

from fast_api_template.models.base import IdMixin, TimestampMixin

if TYPE_CHECKING:
    from fast_api_template.models.domain.task import Task
    from fast_api_template.models.domain.user import User

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000


# --8<-- [start:project]
class Project(IdMixin, TimestampMixin, table=True):
    """A named set of tasks, owned by one user."""

    __tablename__ = "projects"
    # A name is unique per owner. The second index serves "the projects of this owner" in
    # (created_at, id) order, for keyset pagination (API v2); the naming convention names it
    # after its first column: ix_projects_owner_id. The third serves the same list filtered
    # by `archived`: named by hand, since the convention would give it the same name.
    __table_args__ = (
        UniqueConstraint("owner_id", "name"),
        Index(None, "owner_id", "created_at", "id"),
        Index("ix_projects_owner_id_archived", "owner_id", "archived", "created_at", "id"),
    )

    name: str = Field(max_length=NAME_MAX_LENGTH)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)
    archived: bool = Field(default=False)
    owner_id: int = Field(foreign_key="users.id", ondelete="CASCADE")

    owner: "User" = Relationship(
        back_populates="projects", sa_relationship_kwargs={"lazy": "raise_on_sql"}
    )
    tasks: list["Task"] = Relationship(
        back_populates="project",
        cascade_delete=True,
        passive_deletes=True,
        sa_relationship_kwargs={"lazy": "raise_on_sql"},
    )


# --8<-- [end:project]
