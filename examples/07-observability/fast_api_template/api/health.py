"""Liveness and readiness: is the process up, and can it serve requests now."""

import asyncio
from http import HTTPStatus

import structlog
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from fast_api_template.api.deps import SessionDep, SettingsDep
from fast_api_template.schemas.problems import Problem

logger = structlog.stdlib.get_logger(__name__)

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The body of a health or readiness check."""

    status: str


# --8<-- [start:health]
@router.get("/health")
async def health() -> Health:
    """Liveness: the process answers. It touches nothing, so a slow database never restarts it."""
    return Health(status="ok")


@router.get(
    "/ready",
    responses={
        HTTPStatus.SERVICE_UNAVAILABLE: {"model": Problem, "description": "Not ready"},
    },
)
async def ready(session: SessionDep, settings: SettingsDep) -> Health:
    """Readiness: the database answers `SELECT 1` in time; else 503, and no traffic comes."""
    try:
        async with asyncio.timeout(settings.database.ready_timeout):
            await session.scalar(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        logger.warning("database_unavailable", error=type(error).__name__)
        detail = "The database does not answer."
        raise HTTPException(HTTPStatus.SERVICE_UNAVAILABLE, detail) from error
    return Health(status="ready")


# --8<-- [end:health]
