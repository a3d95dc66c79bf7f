"""Routes for projects in API v2: the list, paged with a cursor.

Every other project route is v1's, unchanged: api/v2/router.py includes it from there.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import TypeAdapter

from fast_api_template.api.deps import UNAUTHORIZED, CursorDep, ProjectServiceDep, SummaryServiceDep
from fast_api_template.models.domain.project import NAME_MAX_LENGTH
from fast_api_template.schemas.fields import Storable
from fast_api_template.schemas.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorPage
from fast_api_template.schemas.problems import Problem
from fast_api_template.schemas.projects import ProjectRead
from fast_api_template.schemas.v2.summaries import ProjectSummaryRead

router = APIRouter(prefix="/projects", tags=["projects"], responses=UNAUTHORIZED)

NameContains = Annotated[str, Storable]
BAD_CURSOR: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": Problem, "description": "Invalid cursor"}
}
# Cursors of this list are valid for this list only.
SCOPE = "projects"
SUMMARIES: TypeAdapter[list[ProjectSummaryRead]] = TypeAdapter(list[ProjectSummaryRead])


@router.get("", responses=BAD_CURSOR)
async def list_projects(
    projects: ProjectServiceDep,
    page: CursorDep,
    archived: Annotated[
        bool | None, Query(description="Only archived (true) or active (false) projects.")
    ] = None,
    name_contains: Annotated[
        NameContains | None,
        Query(max_length=NAME_MAX_LENGTH, description="Only names containing this, any case."),
    ] = None,
) -> CursorPage[ProjectRead]:
    """List your projects, oldest first, a page at a time."""
    result = await projects.list_after(
        page.position(SCOPE), page.limit, archived=archived, name_contains=name_contains
    )
    return page.page(result, CursorPage[ProjectRead], scope=SCOPE)


@router.get("/summaries")
async def list_project_summaries(
    summaries: SummaryServiceDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most projects.")] = (
        DEFAULT_LIMIT
    ),
) -> list[ProjectSummaryRead]:
    """Your first projects, oldest first, each with its tasks counted by status.

    One query, whatever the number of projects, and cached until one of them changes.
    """
    # Validated in one call: on a cached read, building a model per project and per count
    # would be most of the request's time.
    return SUMMARIES.validate_python(
        [
            {
                "id": summary.id,
                "name": summary.name,
                "archived": summary.archived,
                "tasks": {"todo": summary.todo, "doing": summary.doing, "done": summary.done},
            }
            for summary in await summaries.first(limit)
        ]
    )
