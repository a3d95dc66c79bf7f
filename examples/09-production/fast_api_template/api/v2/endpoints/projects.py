"""Routes for projects in API v2: the list, paged with a cursor.

Every other project route is v1's, unchanged: api/v2/router.py includes it from there.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import TypeAdapter
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.api.deps import (
    UNAUTHORIZED,
    Claims,
    CursorDep,
    ProjectServiceDep,
    Resources,
    ResourcesDep,
    authorize,
)
from fast_api_template.api.http_cache import (
    NOT_MODIFIED,
    Answer,
    Answers,
    IfNoneMatch,
    signing_key,
)
from fast_api_template.core.cache import read_counter
from fast_api_template.db import LazyUnitOfWork
from fast_api_template.models.domain.project import NAME_MAX_LENGTH
from fast_api_template.schemas.fields import Storable
from fast_api_template.schemas.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorPage
from fast_api_template.schemas.problems import Problem
from fast_api_template.schemas.projects import ProjectRead
from fast_api_template.schemas.v2.summaries import ProjectSummaryRead, TaskCounts
from fast_api_template.services.summaries import ProjectSummary, SummaryService, generation_key

router = APIRouter(prefix="/projects", tags=["projects"], responses=UNAUTHORIZED)

NameContains = Annotated[str, Storable]
BAD_CURSOR: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": Problem, "description": "Invalid cursor"}
}
# Cursors of this list are valid for this list only.
SCOPE = "projects"
# The summaries as a client receives them, cached (see `summaries_answer`).
ANSWERS: Answers[list[ProjectSummaryRead]] = Answers(TypeAdapter(list[ProjectSummaryRead]))


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


# --8<-- [start:summaries]
@router.get("/summaries", response_model=list[ProjectSummaryRead], responses=NOT_MODIFIED)
async def list_project_summaries(
    request: Request,
    claims: Claims,
    resources: ResourcesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most projects.")] = (
        DEFAULT_LIMIT
    ),
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Your first projects, oldest first, each with its tasks counted by status.

    One query, whatever the number of projects; then cached, as the answer itself, until
    one of them changes: a cached read runs no SQL at all. 304 if your copy is current.
    """
    namespace = resources.settings.redis.key_prefix
    keys = generation_key(namespace, claims.user_id), answer_key(namespace, claims.user_id, limit)
    # Opened only if the standing or the answer misses; then both misses share it.
    async with LazyUnitOfWork(resources.session_factory) as unit:
        # One round trip to the cache: the caller's standing, the answer with its generation.
        caller, (counter, stored) = await authorize(request, claims, resources, *keys, unit=unit)
        generation = read_counter(keys[0], counter)
        key = signing_key(resources.settings.security.secret_key.get_secret_value())
        answer = None if generation is None else ANSWERS.decode(stored, generation, key=key)
        if answer is None:
            session = await unit.session()
            answer = await fill_summaries(resources, session, caller.user_id, limit, generation)
    return answer.respond(if_none_match)


async def fill_summaries(
    resources: Resources, session: AsyncSession, owner_id: int, limit: int, generation: int | None
) -> Answer:
    """Answer from the database, and keep the answer under `generation` (if it is known).

    The generation was read before the database: an answer made while a write commits goes
    under the old generation, so it is never taken for the new one.
    """
    cache, settings = resources.cache, resources.settings
    namespace = settings.redis.key_prefix
    summaries = await SummaryService(
        session,
        cache,
        owner_id=owner_id,
        ttl_seconds=settings.cache.ttl_seconds,
        namespace=namespace,
    ).first(limit)
    answer = ANSWERS.make([_read(summary) for summary in summaries])
    if generation is not None:
        key = signing_key(settings.security.secret_key.get_secret_value())
        entry = ANSWERS.encode(answer, generation, key=key)
        await cache.set(
            answer_key(namespace, owner_id, limit), entry, expire=settings.cache.ttl_seconds
        )
    return answer


def answer_key(namespace: str, owner_id: int, limit: int) -> str:
    """Name the cached answer of an owner's first `limit` summaries (API v2)."""
    return f"{namespace}:answers:v2:summaries:{ANSWERS.version}:{owner_id}:{limit}"


def _read(summary: ProjectSummary) -> ProjectSummaryRead:
    counts = TaskCounts(todo=summary.todo, doing=summary.doing, done=summary.done)
    return ProjectSummaryRead(
        id=summary.id, name=summary.name, archived=summary.archived, tasks=counts
    )


# --8<-- [end:summaries]
