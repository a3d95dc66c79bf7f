"""Users, who own projects. Until stage 06 a user is only an email address."""

from typing import TYPE_CHECKING

from sqlmodel import Field, Relationship

from fast_api_template.models.base import IdMixin, TimestampMixin

if TYPE_CHECKING:
    from fast_api_template.models.domain.project import Project


class User(IdMixin, TimestampMixin, table=True):
    """A person who owns projects."""

    __tablename__ = "users"

    email: str = Field(max_length=320, unique=True)

    projects: list["Project"] = Relationship(
        back_populates="owner",
        cascade_delete=True,
        # Projects go with their owner through ON DELETE CASCADE, without loading them first.
        passive_deletes=True,
        # Async code cannot load lazily: load on purpose with selectinload().
        sa_relationship_kwargs={"lazy": "raise_on_sql"},
    )
