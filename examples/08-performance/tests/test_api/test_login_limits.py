"""Failed logins over HTTP: after N per account or per address, a 429 with Retry-After."""

import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from conftest import AppFactory, add_user, key_prefix, redis_url, resources_of
from fastapi import FastAPI
from faults import faulty_proxy

from fast_api_template.app import create_app
from fast_api_template.config import Environment, RedisSettings, Settings
from fast_api_template.models import User
from fast_api_template.services.users import UserService

pytestmark = pytest.mark.anyio

ATTEMPTS = 3
WINDOW = 60
LOGIN = "/api/v1/auth/token"


@pytest.fixture
async def limited_app(database_url: str, redis_settings: RedisSettings) -> AsyncIterator[FastAPI]:
    """An app that allows 3 failed logins a minute, counted in memory or in Redis."""
    settings = Settings(
        env=Environment.TEST,
        database={"url": database_url},
        redis=redis_settings,
        security={"login_attempts": ATTEMPTS, "login_window_seconds": WINDOW},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def ada(limited_app: FastAPI, password: str) -> User:
    async with resources_of(limited_app).session_factory() as session, session.begin():
        return await UserService(session).register(
            "ada@example.com", password, resources_of(limited_app).passwords
        )


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def log_in(app: FastAPI, address: str, email: str, password: str) -> httpx.Response:
    async with client_at(app, address) as client:
        return await client.post(LOGIN, data={"username": email, "password": password})


async def test_an_account_is_locked_after_n_failures_from_anywhere(
    limited_app: FastAPI, ada: User, password: str
) -> None:
    for number in range(ATTEMPTS):
        failed = await log_in(limited_app, f"10.0.0.{number}", ada.email, "wrong-password")
        assert failed.status_code == 401

    # From a new address, and with the right password: the account is locked for now.
    locked = await log_in(limited_app, "10.0.0.99", ada.email, password)

    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    assert locked.json()["type"] == "/problems/too-many-attempts"
    assert 0 < int(locked.headers["retry-after"]) <= WINDOW
    # Other accounts are not affected.
    other_account = await log_in(limited_app, "10.0.0.99", "eve@example.com", password)
    assert other_account.status_code == 401


async def test_an_address_is_locked_after_n_failures_on_any_account(
    limited_app: FastAPI, ada: User, password: str
) -> None:
    for number in range(ATTEMPTS):
        await log_in(limited_app, "10.0.0.1", f"user{number}@example.com", password)

    from_there = await log_in(limited_app, "10.0.0.1", ada.email, password)
    from_elsewhere = await log_in(limited_app, "10.0.0.2", ada.email, password)

    assert from_there.status_code == 429
    assert "retry-after" in from_there.headers
    assert from_elsewhere.status_code == 200


async def test_a_success_resets_the_account(limited_app: FastAPI, ada: User, password: str) -> None:
    for number in range(ATTEMPTS - 1):
        await log_in(limited_app, f"10.0.0.{number}", ada.email, "wrong-password")
    assert (await log_in(limited_app, "10.0.0.50", ada.email, password)).status_code == 200

    for number in range(ATTEMPTS - 1):
        failed = await log_in(limited_app, f"10.0.1.{number}", ada.email, "wrong-password")
        assert failed.status_code == 401


# Registrations are counted per address, so that nobody creates accounts in bulk or learns
# at speed which emails are taken.


async def test_registrations_from_one_address_are_limited(
    database_url: str, redis_settings: RedisSettings, make_app: AppFactory
) -> None:
    settings = Settings(
        env=Environment.TEST,
        database={"url": database_url},
        redis=redis_settings,
        security={"registration_attempts": 2, "registration_window_seconds": WINDOW},
    )
    app = await make_app(settings)
    async with client_at(app, "10.0.0.1") as client:
        answers = [
            await client.post("/api/v2/users", json={"email": email, "password": "a-password"})
            for email in ("ada@example.com", "ada@example.com", "eve@example.com")
        ]
    async with client_at(app, "10.0.0.2") as elsewhere:
        other = await elsewhere.post(
            "/api/v2/users", json={"email": "eve@example.com", "password": "a-password"}
        )

    assert [answer.status_code for answer in answers] == [201, 409, 429]
    assert 0 < int(answers[2].headers["retry-after"]) <= WINDOW
    assert answers[2].json()["detail"].startswith("Too many registrations")
    assert other.status_code == 201  # another address has its own count


# Redis down: logins fail closed, with a 503 that says when to try again.


@pytest.mark.sqlite_only  # about Redis: the database only holds the account
async def test_logins_pause_while_redis_is_down(
    database_url: str, make_app: AppFactory, password: str
) -> None:
    async with faulty_proxy(redis_url()) as proxy:
        redis = RedisSettings(url=proxy.url(redis_url()), key_prefix=key_prefix(), timeout=0.5)
        settings = Settings(env=Environment.TEST, database={"url": database_url}, redis=redis)
        app = await make_app(settings)
        await add_user(app, "ada@example.com")
        credentials = {"username": "ada@example.com", "password": password}
        async with client_at(app, "10.0.0.1") as client:
            await proxy.set_mode("refuse")
            down = await client.post(LOGIN, data=credentials)
            await proxy.set_mode("hang")
            started = time.monotonic()
            with anyio.fail_after(10):
                hung = await client.post(LOGIN, data=credentials)
            waited = time.monotonic() - started
            await proxy.set_mode("pass")
            back = await client.post(LOGIN, data=credentials)
        await resources_of(app).login_throttle.reset()

    for answer in (down, hung):
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0
    # One bounded wait for a hung Redis, not one per retry of the Redis client.
    assert waited < 2 * redis.timeout
    assert back.status_code == 200
