"""API v2: every resource's routes under one prefix."""

from http import HTTPStatus

from fastapi import APIRouter

# Accounts and tokens did not change in v2: both versions serve the same routes for them.
from fast_api_template.api.v1.endpoints import auth, users
from fast_api_template.api.v1.endpoints import projects as v1_projects
from fast_api_template.api.v1.endpoints import tasks as v1_tasks
from fast_api_template.api.v2.endpoints import exports, projects, tasks
from fast_api_template.schemas.problems import Problem

# --8<-- [start:router]
router = APIRouter(
    prefix="/api/v2",
    responses={
        HTTPStatus.NOT_FOUND: {"model": Problem, "description": "Not found, or not yours"},
        HTTPStatus.UNPROCESSABLE_ENTITY: {"model": Problem, "description": "Invalid request"},
    },
)
# A route whose contract did not change is served by the same code in both versions: v2
# has its own routes only where its shapes differ (cursor lists, task status).
router.include_router(projects.router)
router.include_router(v1_projects.router)
router.include_router(tasks.router)
router.include_router(v1_tasks.router)
router.include_router(users.router)
router.include_router(auth.router)
# Exports are new in v2, and only there: v1 is deprecated and gets no new features.
router.include_router(exports.router)
# --8<-- [end:router]
