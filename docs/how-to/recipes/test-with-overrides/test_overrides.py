"""Tests that set the time, and stand in for a service, through FastAPI's dependency overrides."""

from datetime import UTC, datetime, timedelta
from typing import NoReturn

import httpx
import pytest
from fastapi import FastAPI

from acme_api.api.deps import get_clock, get_task_service
from acme_api.core.errors import UnavailableError
from acme_api.models import User

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

V1 = "/api/v1"


class MovingClock:
    """A clock that tells the time you set, and moves when you say."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: FastAPI) -> MovingClock:
    """The app's clock, from the real time on: every reader of `get_clock` sees it move."""
    moving = MovingClock(datetime.now(UTC))
    # get_clock returns the function that tells the time: the override returns ours.
    app.dependency_overrides[get_clock] = lambda: moving
    return moving


async def log_in(client: httpx.AsyncClient, user: User, password: str) -> str:
    response = await client.post(
        f"{V1}/auth/token", data={"username": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["refresh_token"]
    return token


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(f"{V1}/auth/refresh", json={"refresh_token": token})


async def test_a_session_ends_after_its_hours_however_often_it_is_refreshed(
    anonymous: httpx.AsyncClient, user: User, password: str, clock: MovingClock
) -> None:
    token = await log_in(anonymous, user, password)

    clock.advance(hours=11)
    refreshed = await refresh(anonymous, token)
    clock.advance(hours=2)  # 13 hours after the login: past security.session_hours (12)
    too_late = await refresh(anonymous, refreshed.json()["refresh_token"])

    assert refreshed.status_code == 200
    assert too_late.status_code == 401


class TasksThatAreDown:
    """Stands in for TaskService: its store does not answer."""

    async def list_after(self, *_args: object, **_kwargs: object) -> NoReturn:
        raise UnavailableError("The task store does not answer.", retry_after=7)


async def test_a_store_that_is_down_is_a_503_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.dependency_overrides[get_task_service] = TasksThatAreDown

    response = await client.get("/api/v2/projects/1/tasks")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.json()["type"] == "/problems/unavailable"
