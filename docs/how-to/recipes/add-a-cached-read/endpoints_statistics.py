"""A cached read: one project's statistics, new in API v2."""

from fastapi import APIRouter

from acme_api.api.deps import UNAUTHORIZED, ProjectId, StatisticsServiceDep
from acme_api.schemas.v2.statistics import ProjectStatisticsRead

router = APIRouter(prefix="/projects/{project_id:int}", tags=["projects"], responses=UNAUTHORIZED)


@router.get("/statistics")
async def project_statistics(
    project_id: ProjectId, statistics: StatisticsServiceDep
) -> ProjectStatisticsRead:
    """Count the tasks of one of your projects by status, and their comments."""
    return ProjectStatisticsRead.model_validate(await statistics.of(project_id))
