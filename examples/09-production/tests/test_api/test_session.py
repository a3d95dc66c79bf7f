"""One request, one transaction: committed when the endpoint succeeds, rolled back when not."""

from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import AppFactory, make_client
from fastapi import FastAPI, HTTPException, status
from sqlmodel import col, select

from fast_api_template.api.deps import SessionDep
from fast_api_template.config import Settings
from fast_api_template.models import User

pytestmark = pytest.mark.anyio


@pytest.fixture
async def routes(make_app: AppFactory, settings: Settings) -> FastAPI:
    """An app of the test's own, with test-only routes that write users, then fail or not."""
    app = await make_app(settings)

    @app.post("/test/users/{email}", status_code=status.HTTP_201_CREATED)
    async def add_user(email: str, session: SessionDep) -> int:
        user = User(email=email)
        session.add(user)
        await session.flush()
        assert user.id is not None
        return user.id

    @app.post("/test/users/{email}/then-fail")
    async def add_user_then_fail(email: str, session: SessionDep) -> None:
        session.add(User(email=email))
        await session.flush()
        raise HTTPException(status.HTTP_409_CONFLICT, "changed my mind")

    @app.post("/test/users/{email}/twice")
    async def add_user_twice(email: str, session: SessionDep) -> None:
        # Not flushed: the duplicate is only found when the dependency commits.
        session.add_all([User(email=email), User(email=email)])

    return app


@pytest.fixture
async def anonymous(routes: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app with the test routes."""
    async with make_client(routes) as client:
        yield client


async def stored_emails(app: FastAPI) -> list[str]:
    async with app.state.resources.session_factory() as session:
        return list(await session.exec(select(User.email).order_by(col(User.email))))


async def test_successful_request_commits(routes: FastAPI, anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post("/test/users/ada@example.com")

    assert response.status_code == 201
    assert await stored_emails(routes) == ["ada@example.com"]


async def test_failed_request_rolls_back(routes: FastAPI, anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post("/test/users/ada@example.com/then-fail")

    assert response.status_code == 409
    assert await stored_emails(routes) == []


async def test_failed_commit_is_an_error_response(
    routes: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    response = await anonymous.post("/test/users/ada@example.com/twice")

    # The commit ran before the response was sent, so the client learns it failed.
    assert response.status_code == 500
    assert await stored_emails(routes) == []


async def test_each_request_gets_its_own_session(
    routes: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    await anonymous.post("/test/users/ada@example.com")
    await anonymous.post("/test/users/ada@example.com/then-fail")
    await anonymous.post("/test/users/grace@example.com")

    assert await stored_emails(routes) == ["ada@example.com", "grace@example.com"]
