"""Project summaries the obvious way, one query per project: the baseline of `n_plus_one`.

This is the stage itself, with one function swapped. The stage writes `query_summaries` as one
query; here it is written as code usually starts out: one query for the page of projects, then
one query per project to count its tasks by status. The N+1 queries, all in the request's one
transaction. Everything else is the stage's: its edge, its token check, its session, its
response. So the ratio is what the N+1 queries cost, and nothing else.

Run it under the stage's interpreter, with the stage's package importable and its settings in
the environment (`FAST_API_TEMPLATE_*`), and the stage's cache off
(`FAST_API_TEMPLATE_CACHE__ENABLED=false`): otherwise most requests would read neither version.
"""

from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

# The stage's package: importable where this app runs, not where the benchmarks are checked.
from fast_api_template.app import app  # type: ignore[import-not-found]
from fast_api_template.models import Project, Task  # type: ignore[import-not-found]
from fast_api_template.services import summaries  # type: ignore[import-not-found]

__all__ = ["app"]


async def summaries_one_query_per_project(
    session: AsyncSession, owner_id: int, limit: int
) -> list[Any]:
    """Summarise an owner's first projects: one query for them, then one per project."""
    projects = await session.exec(
        select(Project)
        .where(col(Project.owner_id) == owner_id)
        .order_by(col(Project.created_at), col(Project.id))
        .limit(limit)
    )
    result = []
    for project in projects.all():
        counts = await session.exec(
            select(Task.status, func.count())
            .where(col(Task.project_id) == project.id)
            .group_by(col(Task.status))
        )
        by_status = {str(status): count for status, count in counts.all()}
        result.append(
            summaries.ProjectSummary(
                id=project.id,
                name=project.name,
                archived=project.archived,
                todo=by_status.get("todo", 0),
                doing=by_status.get("doing", 0),
                done=by_status.get("done", 0),
            )
        )
    return result


# The service looks the function up in its module at each call: from now on, it gets this one.
summaries.query_summaries = summaries_one_query_per_project
