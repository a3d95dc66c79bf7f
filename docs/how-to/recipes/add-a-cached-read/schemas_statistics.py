"""The response body of a project's statistics (API v2)."""

from pydantic import BaseModel


class ProjectStatisticsRead(BaseModel):
    """How many of a project's tasks have each status, and how many comments they have."""

    todo: int
    doing: int
    done: int
    comments: int
