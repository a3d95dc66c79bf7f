"""Request and response bodies for comments on tasks (API v2 only)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from acme_api.models.domain.comment import BODY_MAX_LENGTH
from acme_api.schemas.base import RequestBody
from acme_api.schemas.fields import Storable

CommentBody = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=BODY_MAX_LENGTH),
    Storable,
    Field(description="The comment's text. Spaces around it are removed."),
]


class CommentCreate(RequestBody):
    """A new comment."""

    body: CommentBody


class CommentRead(BaseModel):
    """A comment as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    task_id: int
    author_id: int
    body: str
    created_at: datetime
