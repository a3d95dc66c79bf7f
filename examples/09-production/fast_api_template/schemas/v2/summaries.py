"""Response bodies for project summaries (API v2)."""

from pydantic import BaseModel, Field


class TaskCounts(BaseModel):
    """How many of a project's tasks have each status."""

    todo: int
    doing: int
    done: int


class ProjectSummaryRead(BaseModel):
    """A project and its tasks counted by status."""

    id: int
    name: str
    archived: bool = Field(description="An archived project takes no new tasks.")
    tasks: TaskCounts
