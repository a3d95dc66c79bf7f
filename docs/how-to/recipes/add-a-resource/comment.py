"""Comments, which people leave on a task; they go with their task."""

import sqlalchemy as sa
from sqlmodel import Field

from acme_api.models.base import IdMixin, TimestampMixin

BODY_MAX_LENGTH = 2000


class Comment(IdMixin, TimestampMixin, table=True):
    """A note on a task, by one user."""

    __tablename__ = "comments"
    # Serves "the comments of this task" in (created_at, id) order, for keyset pagination;
    # the naming convention names it ix_comments_task_id. The second index serves the
    # ON DELETE CASCADE of a user, which PostgreSQL does not index by itself.
    __table_args__ = (
        sa.Index(None, "task_id", "created_at", "id"),
        sa.Index(None, "author_id"),
    )

    body: str = Field(max_length=BODY_MAX_LENGTH)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
