"""Routes for projects in API v2: the list, paged with a cursor.

Every other project route is v1's, unchanged: api/v2/router.py includes it from there.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from fast_api_template.api.deps import CursorDep, ProjectServiceDep
from fast_api_template.models.domain.project import NAME_MAX_LENGTH
from fast_api_template.schemas.fields import Storable
from fast_api_template.schemas.pagination import CursorPage
from fast_api_template.schemas.problems import Problem
from fast_api_template.schemas.projects import ProjectRead

router = APIRouter(prefix="/projects", tags=["projects"])

NameContains = Annotated[str, Storable]
BAD_CURSOR: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": Problem, "description": "Invalid cursor"}
}
# Cursors of this list are valid for this list only.
SCOPE = "projects"


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
    return page.page(result, ProjectRead, scope=SCOPE)
