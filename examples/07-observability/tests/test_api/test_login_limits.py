"""Logins over HTTP: after N per account and address, per address or per account, a 429."""

import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from conftest import PASSWORD, AppFactory, add_user, key_prefix, redis_url, resources_of
from fastapi import FastAPI
from faults import faulty_proxy

from fast_api_template.app import create_app
from fast_api_template.config import Environment, RedisSettings, Settings
from fast_api_template.models import User
from fast_api_template.services.users import UserService

pytestmark = pytest.mark.anyio

ATTEMPTS = 3
ADDRESS_ATTEMPTS = 6
ACCOUNT_ATTEMPTS = 9
WINDOW = 60
LOGIN = "/api/v1/auth/token"


@pytest.fixture
async def limited_app(database_url: str, redis_settings: RedisSettings) -> AsyncIterator[FastAPI]:
    """An app that allows, a minute, 3 failed logins per account and address, 6 per address
    and 9 per account, counted in memory or in Redis."""
    settings = Settings(
        env=Environment.TEST,
        database={"url": database_url},
        redis=redis_settings,
        security={
            "login_attempts": ATTEMPTS,
            "login_address_attempts": ADDRESS_ATTEMPTS,
            "login_account_attempts": ACCOUNT_ATTEMPTS,
            "login_window_seconds": WINDOW,
        },
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


async def test_a_burst_of_guesses_gets_no_more_tries_than_the_limit(
    limited_app: FastAPI, ada: User, password: str
) -> None:
    # Sent at once: every guess is in flight before the first one's hash is checked.
    statuses: list[int] = []

    async def guess(number: int) -> None:
        answer = await log_in(limited_app, "10.0.0.1", ada.email, f"wrong-password-{number}")
        statuses.append(answer.status_code)

    async with anyio.create_task_group() as burst:
        for number in range(40):
            burst.start_soon(guess, number)
    right_password = await log_in(limited_app, "10.0.0.1", ada.email, password)

    assert sorted(statuses) == [401] * ATTEMPTS + [429] * (40 - ATTEMPTS)
    assert right_password.status_code == 429
    assert right_password.headers["content-type"] == "application/problem+json"
    assert right_password.json()["type"] == "/problems/too-many-attempts"
    assert 0 < int(right_password.headers["retry-after"]) <= WINDOW


async def test_a_stranger_cannot_lock_the_owner_out(
    limited_app: FastAPI, ada: User, password: str
) -> None:
    for _ in range(ATTEMPTS):
        await log_in(limited_app, "10.0.0.66", ada.email, "wrong-password")

    stranger = await log_in(limited_app, "10.0.0.66", ada.email, password)
    owner = await log_in(limited_app, "10.0.0.1", ada.email, password)

    assert stranger.status_code == 429
    assert owner.status_code == 200


async def test_an_account_is_locked_after_n_failures_from_many_addresses(
    limited_app: FastAPI, ada: User, password: str
) -> None:
    for number in range(ACCOUNT_ATTEMPTS):
        failed = await log_in(limited_app, f"10.0.{number}.1", ada.email, "wrong-password")
        assert failed.status_code == 401

    # From a new address, and with the right password: the account is locked for now.
    locked = await log_in(limited_app, "10.0.99.1", ada.email, password)

    assert locked.status_code == 429
    # Other accounts are not affected.
    other_account = await log_in(limited_app, "10.0.99.1", "eve@example.com", password)
    assert other_account.status_code == 401


IPV6_NETWORK = [f"2001:db8:0:1::{number + 1:x}" for number in range(ADDRESS_ATTEMPTS)]


@pytest.mark.parametrize(
    ("spraying_from", "same_client", "elsewhere"),
    [
        pytest.param(["10.0.0.1"] * ADDRESS_ATTEMPTS, "10.0.0.1", "10.0.1.1", id="ipv4"),
        # Every address of one /64 is one client: one host usually holds the whole network.
        pytest.param(IPV6_NETWORK, "2001:db8:0:1::ffff", "2001:db8:0:2::1", id="ipv6"),
    ],
)
async def test_an_address_is_locked_after_n_failures_on_any_account(
    limited_app: FastAPI,
    ada: User,
    password: str,
    spraying_from: list[str],
    same_client: str,
    elsewhere: str,
) -> None:
    for number, address in enumerate(spraying_from):
        await log_in(limited_app, address, f"user{number}@example.com", password)

    from_there = await log_in(limited_app, same_client, ada.email, password)
    from_elsewhere = await log_in(limited_app, elsewhere, ada.email, password)

    assert from_there.status_code == 429
    assert "retry-after" in from_there.headers
    assert from_elsewhere.status_code == 200


async def test_a_success_resets_the_pair(limited_app: FastAPI, ada: User, password: str) -> None:
    for _ in range(ATTEMPTS - 1):
        await log_in(limited_app, "10.0.0.1", ada.email, "wrong-password")
    assert (await log_in(limited_app, "10.0.0.1", ada.email, password)).status_code == 200

    for _ in range(ATTEMPTS):
        failed = await log_in(limited_app, "10.0.0.1", ada.email, "wrong-password")
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
            await client.post("/api/v2/users", json={"email": email, "password": PASSWORD})
            for email in ("ada@example.com", "ada@example.com", "eve@example.com")
        ]
    async with client_at(app, "10.0.0.2") as elsewhere:
        other = await elsewhere.post(
            "/api/v2/users", json={"email": "eve@example.com", "password": PASSWORD}
        )

    assert [answer.status_code for answer in answers] == [201, 409, 429]
    assert 0 < int(answers[2].headers["retry-after"]) <= WINDOW
    assert answers[2].json()["detail"].startswith("Too many registrations")
    assert other.status_code == 201  # another address has its own count


async def test_a_burst_of_registrations_gets_no_more_than_the_limit(
    database_url: str, redis_settings: RedisSettings, make_app: AppFactory
) -> None:
    settings = Settings(
        env=Environment.TEST,
        database={"url": database_url},
        redis=redis_settings,
        security={"registration_attempts": 2, "registration_window_seconds": WINDOW},
    )
    app = await make_app(settings)
    statuses: list[int] = []

    async def register(number: int) -> None:
        # Addresses of one IPv6 /64: one client, one count.
        async with client_at(app, f"2001:db8::{number + 1:x}") as client:
            body = {"email": f"user{number}@example.com", "password": PASSWORD}
            statuses.append((await client.post("/api/v2/users", json=body)).status_code)

    async with anyio.create_task_group() as burst:
        for number in range(10):
            burst.start_soon(register, number)

    assert sorted(statuses) == [201, 201] + [429] * 8


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


# Behind a proxy, X-Forwarded-For names the client: but only when the proxy sent it.


async def test_a_client_outside_the_trusted_proxies_cannot_choose_its_address(
    database_url: str, make_app: AppFactory
) -> None:
    settings = Settings(
        env=Environment.TEST,
        database={"url": database_url},
        app={"trusted_proxies": "10.9.9.9"},
        security={"login_address_attempts": 2},
    )
    app = await make_app(settings)

    async def log_in_as(peer: str, forwarded_for: str, email: str) -> int:
        async with client_at(app, peer) as client:
            form = {"username": email, "password": "wrong-password"}
            answer = await client.post(LOGIN, data=form, headers={"X-Forwarded-For": forwarded_for})
            return answer.status_code

    # Straight to the replica, each time "from" another address: counted by its own.
    spoofed = [
        await log_in_as("10.0.0.1", f"198.51.100.{n}", f"user{n}@example.com") for n in range(3)
    ]
    # Through the trusted proxy: counted by the address that the proxy names.
    proxied = await log_in_as("10.9.9.9", "198.51.100.99", "user9@example.com")

    assert spoofed == [401, 401, 429]
    assert proxied == 401
