"""Liveness and readiness: is the process up, and can it serve requests now."""

import asyncio
from http import HTTPStatus
from typing import Any, Final

import structlog
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from fast_api_template.api.deps import Resources, ResourcesDep
from fast_api_template.config import Environment
from fast_api_template.db import SCHEMA_REVISION, is_behind, schema_revision
from fast_api_template.schemas.problems import Problem

logger = structlog.stdlib.get_logger(__name__)

router = APIRouter(tags=["health"])

# The paths that proxies and orchestrators probe, every few seconds each.
PROBE_PATHS: Final = frozenset({"/health", "/ready"})

# Checks that missed their deadline, kept until they end by themselves: a hung connection
# is not awaited by the request, but its task must not be dropped while it still runs.
_abandoned: set[asyncio.Task[Any]] = set()


class Health(BaseModel):
    """The body of a health or readiness check."""

    status: str


# --8<-- [start:health]
# HEAD too, as load balancers often probe with it (left out of the OpenAPI document, where
# it would repeat GET).
@router.get("/health")
@router.head("/health", include_in_schema=False)
async def health() -> Health:
    """Liveness: the process answers. It touches nothing, so a slow database never restarts it."""
    return Health(status="ok")


@router.get(
    "/ready",
    responses={
        HTTPStatus.SERVICE_UNAVAILABLE: {"model": Problem, "description": "Not ready"},
    },
)
@router.head("/ready", include_in_schema=False)
async def ready(resources: ResourcesDep) -> Health:
    """Readiness: the database answers at the schema this code needs, and Redis answers if set.

    Answers within `database.ready_timeout`, whatever the database does: a check that has
    not finished by then is left to end in the background, and the answer is 503.
    """
    timeout = resources.settings.database.ready_timeout
    check = asyncio.create_task(not_ready(resources))
    done, _ = await asyncio.wait({check}, timeout=timeout)
    if done:
        problems = check.result()
    else:
        check.cancel()
        _abandoned.add(check)
        check.add_done_callback(_abandoned.discard)
        problems = [f"no answer within {timeout:g} s"]
    if problems:
        logger.warning("not_ready", problems=problems)
        raise HTTPException(HTTPStatus.SERVICE_UNAVAILABLE, _not_ready(problems, resources))
    return Health(status="ready")


def _not_ready(problems: list[str], resources: Resources) -> str:
    # The reasons name servers and schema revisions: the log has them for the operator; in
    # production, anyone else learns only that the service is not ready.
    if resources.settings.env is Environment.PROD:
        return "Not ready."
    return f"Not ready: {'; '.join(problems)}."


# --8<-- [end:health]


async def not_ready(resources: Resources) -> list[str]:
    """List what keeps the service from serving: the database, its schema, Redis."""
    problems = []
    try:
        async with resources.session_factory() as session:
            connection = await session.connection()
            await connection.execute(text("SELECT 1"))
            if problem := await schema_problem(connection):
                problems.append(problem)
    except (SQLAlchemyError, OSError):
        problems.append("the database does not answer")
    if not await resources.login_throttle.available():
        problems.append("Redis does not answer")
    return problems


# --8<-- [start:schema_problem]
async def schema_problem(connection: AsyncConnection) -> str | None:
    """Say what is wrong with the database's schema for this code, if anything."""
    try:
        revision = await schema_revision(connection)
    except SQLAlchemyError:
        revision = None  # no migration ever ran on this database
    if not is_behind(revision):
        return None
    if revision is None:
        return "the database has no schema (run the migrations)"
    return (
        f"the database schema is at revision {revision}, behind {SCHEMA_REVISION} "
        "(run the migrations)"
    )


# --8<-- [end:schema_problem]
