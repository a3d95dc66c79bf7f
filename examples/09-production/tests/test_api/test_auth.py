"""Accounts and tokens over HTTP: register, log in, refresh, and every way a token is refused."""

import base64
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from conftest import resources_of
from fastapi import FastAPI

from fast_api_template.api.deps import get_clock
from fast_api_template.config import Settings
from fast_api_template.core.security import create_access_token, key_id
from fast_api_template.models import User

pytestmark = pytest.mark.anyio

UserFactory = Callable[..., Awaitable[User]]
HeadersFactory = Callable[[User], dict[str, str]]

V1 = "/api/v1"


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{V1}/auth/token", data={"username": email, "password": password})


# Registration


async def test_register(anonymous: httpx.AsyncClient, password: str) -> None:
    response = await anonymous.post(
        f"{V1}/users", json={"email": "Ada@Example.com", "password": password}
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "is_admin", "is_active", "created_at"}
    assert (body["email"], body["is_admin"], body["is_active"]) == ("ada@example.com", False, True)


async def test_an_email_registers_once(anonymous: httpx.AsyncClient, password: str) -> None:
    await anonymous.post(f"{V1}/users", json={"email": "ada@example.com", "password": password})

    again = await anonymous.post(
        f"{V1}/users", json={"email": "ADA@example.com", "password": password}
    )

    assert again.status_code == 409
    assert again.json()["type"] == "/problems/email-taken"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"email": "not-an-email"}, id="bad-email"),
        pytest.param({"password": "Tr0ub4dor&3"}, id="short-password"),
        pytest.param({"password": "x" * 129}, id="long-password"),
        pytest.param({"is_admin": True}, id="self-made-admin"),
    ],
)
async def test_invalid_registration(
    anonymous: httpx.AsyncClient, password: str, changes: dict[str, Any]
) -> None:
    body = {"email": "ada@example.com", "password": password, **changes}

    response = await anonymous.post(f"{V1}/users", json=body)

    assert response.status_code == 422


@pytest.mark.parametrize("domain", ["example.test", "printer.local", "localhost", "x.onion"])
async def test_a_special_use_domain_is_refused_as_the_document_says(
    anonymous: httpx.AsyncClient, password: str, domain: str
) -> None:
    document = (await anonymous.get(f"{V1}/openapi.json")).json()
    email = document["components"]["schemas"]["UserCreate"]["properties"]["email"]

    response = await anonymous.post(
        f"{V1}/users", json={"email": f"ada@{domain.upper()}", "password": password}
    )

    assert response.status_code == 422
    assert re.search(email["pattern"], f"ada@{domain.upper()}") is None
    assert re.search(email["pattern"], "ada@example.com") is not None


# Logging in


async def test_log_in_then_use_the_access_token(
    anonymous: httpx.AsyncClient, user: User, password: str
) -> None:
    response = await log_in(anonymous, "ADA@example.com", password)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (tokens["token_type"], tokens["expires_in"]) == ("bearer", 900)
    me = await anonymous.get(
        f"{V1}/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["id"] == user.id


@pytest.mark.usefixtures("user")
async def test_unknown_email_and_wrong_password_look_the_same(
    anonymous: httpx.AsyncClient, password: str
) -> None:
    wrong_password = await log_in(anonymous, "ada@example.com", password + "x")
    unknown_email = await log_in(anonymous, "eve@example.com", password)

    assert wrong_password.status_code == unknown_email.status_code == 401
    # The same answer, but for the id of the request that each one names.
    assert wrong_password.json() | {"request_id": ""} == unknown_email.json() | {"request_id": ""}
    assert wrong_password.headers["www-authenticate"] == "Bearer"
    assert wrong_password.json()["type"] == "/problems/invalid-credentials"


async def test_the_login_form_is_required(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(f"{V1}/auth/token", json={"username": "ada@example.com"})

    assert response.status_code == 422


# Access tokens that are refused


def forged(app: FastAPI, user: User) -> str:
    assert user.id is not None
    token = create_access_token(
        user.id, version=user.token_version, secret=secret(app), lifetime=timedelta(minutes=5)
    )
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited = json.dumps({**data, "sub": str((user.id or 0) + 1)}).encode()
    return f"{header}.{base64.urlsafe_b64encode(edited).rstrip(b'=').decode()}.{signature}"


def claims(user: User, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {"sub": str(user.id), "iat": now, "exp": now + timedelta(minutes=5)}
    return {**base, "jti": "x", "type": "access", "ver": user.token_version, **changes}


def secret(app: FastAPI) -> str:
    settings: Settings = resources_of(app).settings
    return settings.security.secret_key.get_secret_value()


def kid(app: FastAPI) -> dict[str, str]:
    """The header that names the app's key: a forged token gets past it to the real checks."""
    return {"kid": key_id(secret(app))}


def expired(app: FastAPI, user: User) -> str:
    assert user.id is not None
    # Issued 16 minutes ago for 15: past its expiry, with no clock to wait for.
    issued = datetime.now(UTC) - timedelta(minutes=16)
    return create_access_token(
        user.id, version=0, secret=secret(app), lifetime=timedelta(minutes=15), now=issued
    )


BAD_TOKENS: dict[str, Callable[[FastAPI, User], str]] = {
    "expired": expired,
    "tampered": forged,
    "wrong-algorithm": lambda app, user: jwt.encode(
        claims(user), secret(app) * 2, algorithm="HS512", headers=kid(app)
    ),
    "alg-none": lambda app, user: jwt.encode(
        claims(user), None, algorithm="none", headers=kid(app)
    ),
    "other-secret": lambda app, user: jwt.encode(
        claims(user), "o" * 32, algorithm="HS256", headers=kid(app)
    ),
    "not-a-jwt": lambda _app, _user: "not-a-token",
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_a_bad_access_token_is_a_401(
    app: FastAPI, anonymous: httpx.AsyncClient, user: User, kind: str
) -> None:
    token = BAD_TOKENS[kind](app, user)

    response = await anonymous.get(f"{V1}/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/invalid-token"


async def test_no_token_is_a_401(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get(f"{V1}/users/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/not-authenticated"


async def test_the_token_of_a_deleted_user_is_refused(
    app: FastAPI,
    anonymous: httpx.AsyncClient,
    make_user: UserFactory,
    auth_headers: HeadersFactory,
) -> None:
    gone = await make_user("gone@example.com")
    headers = auth_headers(gone)
    async with resources_of(app).session_factory() as session, session.begin():
        await session.delete(await session.get(User, gone.id))

    response = await anonymous.get(f"{V1}/users/me", headers=headers)

    assert response.status_code == 401


# Refresh tokens


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(f"{V1}/auth/refresh", json={"refresh_token": token})


async def test_a_refresh_token_works_once(
    anonymous: httpx.AsyncClient, user: User, password: str
) -> None:
    first = (await log_in(anonymous, user.email, password)).json()

    second = await refresh(anonymous, first["refresh_token"])
    assert second.status_code == 200
    assert second.headers["cache-control"] == "no-store"
    rotated = second.json()
    reused = await refresh(anonymous, first["refresh_token"])
    after_reuse = await refresh(anonymous, rotated["refresh_token"])

    assert rotated["refresh_token"] != first["refresh_token"]
    assert reused.status_code == 401
    assert reused.json()["type"] == "/problems/refresh-token-reused"
    # Reuse revoked the whole family, the rotated token with it; the revocation was kept
    # although the request that found the reuse failed.
    assert after_reuse.status_code == 401
    assert after_reuse.json()["type"] == "/problems/invalid-token"


async def test_an_expired_refresh_token_is_refused(
    app: FastAPI, anonymous: httpx.AsyncClient, user: User, password: str
) -> None:
    tokens = (await log_in(anonymous, user.email, password)).json()
    later = datetime.now(UTC) + timedelta(days=15)
    app.dependency_overrides[get_clock] = lambda: lambda: later

    response = await refresh(anonymous, tokens["refresh_token"])

    assert response.status_code == 401
    assert response.json()["detail"] == "The refresh token has expired."


async def test_an_access_token_is_no_refresh_token(
    anonymous: httpx.AsyncClient, user: User, password: str
) -> None:
    tokens = (await log_in(anonymous, user.email, password)).json()

    response = await refresh(anonymous, tokens["access_token"])

    assert response.status_code == 401


# Roles


async def test_me(client: httpx.AsyncClient, user: User) -> None:
    response = await client.get(f"{V1}/users/me")

    assert response.json() == {
        "id": user.id,
        "email": "ada@example.com",
        "is_admin": False,
        "is_active": True,
        "created_at": response.json()["created_at"],
    }


async def test_only_admins_read_other_accounts(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    user: User,
    make_user: UserFactory,
    auth_headers: HeadersFactory,
) -> None:
    admin = await make_user("root@example.com", is_admin=True)

    as_user = await client.get(f"{V1}/users/{admin.id}")
    as_admin = await anonymous.get(f"{V1}/users/{user.id}", headers=auth_headers(admin))
    missing = await anonymous.get(f"{V1}/users/999", headers=auth_headers(admin))

    assert as_user.status_code == 403
    assert as_user.json()["type"] == "/problems/permission-denied"
    assert as_admin.json()["email"] == "ada@example.com"
    assert missing.status_code == 404


async def test_v2_serves_the_same_accounts(
    anonymous: httpx.AsyncClient, user: User, password: str
) -> None:
    tokens = (
        await anonymous.post(
            "/api/v2/auth/token", data={"username": user.email, "password": password}
        )
    ).json()

    me = await anonymous.get(
        "/api/v2/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )

    assert me.json()["id"] == user.id
