"""Each security event is one log record with who, from where and why; never a secret."""

import logging

import httpx
import pytest
from conftest import AppFactory, HeadersFactory, UserFactory, add_user, make_client
from fastapi import FastAPI

from fast_api_template.config import Environment, Settings
from fast_api_template.models import User

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

V2 = "/api/v2"
ADDRESS = "203.0.113.7"


def events(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int | None, str | None, str]]:
    """The security events logged so far: (event, user id, client address, reason)."""
    # The fields are attributes of the record (logging's `extra`), unknown to its type.
    fields = ("security_event", "user_id", "client_address", "reason")
    return [
        tuple(getattr(record, name) for name in fields)
        for record in caplog.records
        if hasattr(record, "security_event")
    ]


@pytest.fixture
async def limited(database_url: str, make_app: AppFactory) -> FastAPI:
    """An app that allows one failed login per account and address, and one registration."""
    settings = Settings(
        env=Environment.TEST,
        database={"url": database_url},
        security={"login_attempts": 1, "registration_attempts": 1},
    )
    return await make_app(settings)


async def test_logins_are_logged_with_user_address_and_reason(
    limited: FastAPI, caplog: pytest.LogCaptureFixture, password: str
) -> None:
    ada = await add_user(limited, "ada@example.com")
    caplog.set_level(logging.INFO)
    async with make_client(limited, address=ADDRESS) as client:
        for secret in ("wrong-password", "wrong-password", password):
            await client.post(
                f"{V2}/auth/token", data={"username": "ada@example.com", "password": secret}
            )

    assert events(caplog) == [
        ("login_failed", ada.id, ADDRESS, "wrong password"),
        ("login_throttled", None, ADDRESS, "limit per pair"),
        ("login_throttled", None, ADDRESS, "limit per pair"),
    ]
    assert "wrong-password" not in caplog.text
    assert password not in caplog.text


async def test_sessions_and_roles_are_logged(
    anonymous: httpx.AsyncClient,
    user: User,
    password: str,
    make_user: UserFactory,
    auth_headers: HeadersFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await make_user("root@example.com", is_admin=True)
    caplog.set_level(logging.INFO)
    form = {"username": user.email, "password": password}
    tokens = (await anonymous.post(f"{V2}/auth/token", data=form)).json()
    spent = tokens["refresh_token"]
    await anonymous.post(f"{V2}/auth/refresh", json={"refresh_token": spent})
    await anonymous.post(f"{V2}/auth/refresh", json={"refresh_token": spent})  # reused
    await anonymous.get(f"{V2}/users/{admin.id}", headers=auth_headers(user))
    await anonymous.patch(
        f"{V2}/users/{user.id}", json={"is_active": False}, headers=auth_headers(admin)
    )

    logged = [(event, user_id, reason) for event, user_id, _address, reason in events(caplog)]
    assert logged == [
        ("login_succeeded", user.id, "password"),
        ("refresh_token_reused", user.id, "a spent refresh token came back; its family is revoked"),
        ("permission_denied", user.id, "administrators only"),
        ("account_disabled", user.id, f"by administrator {admin.id}"),
    ]
    assert tokens["access_token"] not in caplog.text
    assert spent not in caplog.text


async def test_logouts_are_logged(
    anonymous: httpx.AsyncClient, user: User, password: str, caplog: pytest.LogCaptureFixture
) -> None:
    form = {"username": user.email, "password": password}
    tokens = (await anonymous.post(f"{V2}/auth/token", data=form)).json()
    caplog.set_level(logging.INFO)
    caplog.clear()  # the login's own event
    await anonymous.post(f"{V2}/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    await anonymous.post(
        f"{V2}/auth/logout-all", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )

    assert [(event, user_id) for event, user_id, _a, _r in events(caplog)] == [
        ("logged_out", user.id),
        ("logged_out_everywhere", user.id),
    ]


async def test_throttled_registrations_are_logged(
    limited: FastAPI, caplog: pytest.LogCaptureFixture, password: str
) -> None:
    async with make_client(limited, address=ADDRESS) as client:
        for number in range(2):
            body = {"email": f"user{number}@example.com", "password": password}
            await client.post(f"{V2}/users", json=body)

    assert events(caplog) == [("registration_throttled", None, ADDRESS, "limit per address")]
