"""Test-only routes that fail in each way an endpoint can, and one that logs."""

import logging

import structlog
from fastapi import FastAPI
from pydantic import BaseModel

from fast_api_template.api.deps import SessionDep
from fast_api_template.core.errors import ConflictError
from fast_api_template.models import User

# A value that a failed statement binds: it must appear in no log line and no answer.
PRIVATE_EMAIL = "private.person@example.com"


class Item(BaseModel):
    """A request body to validate."""

    name: str


def add_failing_routes(app: FastAPI) -> FastAPI:
    """Add the routes under /test to `app` and return it."""

    @app.post("/test/items", status_code=201)
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/test/conflict")
    async def conflict() -> None:
        raise ConflictError("An item with this name exists.")

    @app.get("/test/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals")

    @app.post("/test/duplicate")
    async def duplicate(session: SessionDep) -> None:
        # Not flushed: the unique email fails in the commit, with the email bound to it.
        session.add_all([User(email=PRIVATE_EMAIL), User(email=PRIVATE_EMAIL)])

    @app.get("/test/logs")
    async def logs() -> None:
        structlog.stdlib.get_logger("test.structlog").info("from structlog", answer=42)
        logging.getLogger("test.stdlib").warning("from %s", "logging")

    return app
