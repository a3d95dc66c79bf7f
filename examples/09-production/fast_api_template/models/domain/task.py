"""Tasks, the items of work in a project."""

from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field, Relationship

from fast_api_template.models.base import IdMixin, TimestampMixin

if TYPE_CHECKING:
    from fast_api_template.models.domain.project import Project

TITLE_MAX_LENGTH = 200


class TaskStatus(StrEnum):
    """Where a task stands."""

    TODO = "todo"
    DOING = "doing"
    DONE = "done"


# --8<-- [start:task]
class Task(IdMixin, TimestampMixin, table=True):
    """One item of work; it is deleted with its project.

    The table stores a `status`, which API v2 shows as it is. API v1 knows only `done`, a
    view of the status that `done` below computes and translates back.
    """

    __tablename__ = "tasks"
    # The first serves "the tasks of this project" and their keyset pagination in
    # (created_at, id) order; the naming convention names it after its first column,
    # ix_tasks_project_id. The second serves the same list filtered by status (API v2), named
    # by hand, since the convention would give it the same name.
    __table_args__ = (
        sa.Index(None, "project_id", "created_at", "id"),
        sa.Index("ix_tasks_project_id_status", "project_id", "status", "created_at", "id"),
    )

    title: str = Field(max_length=TITLE_MAX_LENGTH)
    status: TaskStatus = Field(
        default=TaskStatus.TODO,
        # A string column with a CHECK constraint rather than a PostgreSQL ENUM type: adding
        # a status later is then a plain migration. The values, not the names, are stored.
        sa_type=sa.Enum(
            TaskStatus,
            name="status",
            native_enum=False,
            create_constraint=True,
            length=max(len(status) for status in TaskStatus),
            values_callable=lambda statuses: [status.value for status in statuses],
        ),
    )
    project_id: int = Field(foreign_key="projects.id", ondelete="CASCADE")

    project: "Project" = Relationship(
        back_populates="tasks", sa_relationship_kwargs={"lazy": "raise_on_sql"}
    )

    # --8<-- [start:done]
    @property
    def done(self) -> bool:
        """API v1's view of the status: a task is done, or it is not."""
        return self.status == TaskStatus.DONE

    @done.setter
    def done(self, value: bool) -> None:
        # done=true finishes the task. done=false reopens a finished task; a task in progress
        # is already not done, so it stays `doing` rather than losing that to a v1 client.
        if value:
            self.status = TaskStatus.DONE
        elif self.status == TaskStatus.DONE:
            self.status = TaskStatus.TODO

    # --8<-- [end:done]


# --8<-- [end:task]
