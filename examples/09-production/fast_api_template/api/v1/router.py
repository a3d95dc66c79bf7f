"""API v1: every resource's routes under one prefix."""

from http import HTTPStatus

from fastapi import APIRouter

from fast_api_template.api.v1.endpoints import auth, projects, tasks, users
from fast_api_template.schemas.problems import Problem

# --8<-- [start:router]
router = APIRouter(
    prefix="/api/v1",
    # Marks every v1 operation as deprecated in the OpenAPI documents; clients get the
    # Deprecation and Sunset headers from api/versioning.py.
    deprecated=True,
    responses={
        HTTPStatus.NOT_FOUND: {"model": Problem, "description": "Not found, or not yours"},
        HTTPStatus.UNPROCESSABLE_ENTITY: {"model": Problem, "description": "Invalid request"},
    },
)
router.include_router(projects.v1_only)
router.include_router(projects.router)
router.include_router(tasks.v1_only)
router.include_router(tasks.router)
router.include_router(users.router)
router.include_router(auth.router)
# --8<-- [end:router]
