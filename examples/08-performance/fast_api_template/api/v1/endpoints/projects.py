"""Routes for projects: parse the request, call the service, shape the response.

Two routers: `router` holds the routes that API v2 serves unchanged (api/v2/router.py
includes it too), `v1_only` the one that v2 replaced, the offset-paged list.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from fast_api_template.api.deps import UNAUTHORIZED, PageDep, ProjectId, ProjectServiceDep
from fast_api_template.api.http_cache import NOT_MODIFIED, IfNoneMatch, conditional, etag_of
from fast_api_template.models.domain.project import NAME_MAX_LENGTH
from fast_api_template.schemas.fields import Storable
from fast_api_template.schemas.pagination import Page
from fast_api_template.schemas.problems import Problem
from fast_api_template.schemas.projects import ProjectCreate, ProjectRead, ProjectUpdate
from fast_api_template.services.projects import NewProject

# --8<-- [start:routers]
router = APIRouter(prefix="/projects", tags=["projects"], responses=UNAUTHORIZED)
v1_only = APIRouter(prefix="/projects", tags=["projects"], responses=UNAUTHORIZED)
# --8<-- [end:routers]

NameContains = Annotated[str, Storable]
CONFLICT: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {"model": Problem, "description": "Name already used"}
}


@v1_only.get("")
async def list_projects(
    projects: ProjectServiceDep,
    page: PageDep,
    archived: Annotated[
        bool | None, Query(description="Only archived (true) or active (false) projects.")
    ] = None,
    name_contains: Annotated[
        NameContains | None,
        Query(max_length=NAME_MAX_LENGTH, description="Only names containing this, any case."),
    ] = None,
) -> Page[ProjectRead]:
    """List your projects, oldest first."""
    result = await projects.list_page(page, archived=archived, name_contains=name_contains)
    return Page[ProjectRead].model_validate(result)


# --8<-- [start:create]
@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
async def create_project(data: ProjectCreate, projects: ProjectServiceDep) -> ProjectRead:
    """Create a project. Its name must differ from those of your other projects."""
    project = await projects.create(NewProject(name=data.name, description=data.description))
    return ProjectRead.model_validate(project)


# --8<-- [end:create]


@router.get("/{project_id:int}", response_model=ProjectRead, responses=NOT_MODIFIED)
async def get_project(
    project_id: ProjectId, projects: ProjectServiceDep, if_none_match: IfNoneMatch = None
) -> Response:
    """Show one of your projects; 304 if your copy (its ETag) is current."""
    project = await projects.get(project_id)
    return conditional(ProjectRead.model_validate(project), etag_of(project), if_none_match)


@router.patch("/{project_id:int}", responses=CONFLICT)
async def update_project(
    project_id: ProjectId, changes: ProjectUpdate, projects: ProjectServiceDep
) -> ProjectRead:
    """Change the fields you send, and only those."""
    return ProjectRead.model_validate(
        await projects.update(project_id, changes.model_dump(exclude_unset=True))
    )


@router.delete("/{project_id:int}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_project(project_id: ProjectId, projects: ProjectServiceDep) -> None:
    """Delete a project and its tasks."""
    await projects.delete(project_id)


@router.post("/{project_id:int}/archive")
async def archive_project(project_id: ProjectId, projects: ProjectServiceDep) -> ProjectRead:
    """Archive a project: it keeps its tasks but takes no new ones."""
    return ProjectRead.model_validate(await projects.archive(project_id))
