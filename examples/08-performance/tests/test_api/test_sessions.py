"""Sessions end when they should: logout, logout everywhere, and a disabled account, over HTTP."""

import httpx
import pytest
from conftest import HeadersFactory, UserFactory

from fast_api_template.models import User

pytestmark = pytest.mark.anyio

V2 = "/api/v2"


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post(f"{V2}/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200
    tokens: dict[str, str] = response.json()
    return tokens


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_logout_ends_the_refresh_token(
    anonymous: httpx.AsyncClient, user: User, password: str
) -> None:
    tokens = await log_in(anonymous, user.email, password)

    logout = await anonymous.post(
        f"{V2}/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    refresh = await anonymous.post(
        f"{V2}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )

    assert logout.status_code == 204
    assert refresh.status_code == 401


async def test_logout_everywhere_ends_every_token_at_once(
    anonymous: httpx.AsyncClient, user: User, password: str
) -> None:
    laptop = await log_in(anonymous, user.email, password)
    phone = await log_in(anonymous, user.email, password)

    logout = await anonymous.post(f"{V2}/auth/logout-all", headers=bearer(phone))

    assert logout.status_code == 204
    for tokens in (laptop, phone):
        me = await anonymous.get(f"{V2}/users/me", headers=bearer(tokens))
        refresh = await anonymous.post(
            f"{V2}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert (me.status_code, refresh.status_code) == (401, 401)
    # A new login works.
    again = await log_in(anonymous, user.email, password)
    assert (await anonymous.get(f"{V2}/users/me", headers=bearer(again))).status_code == 200


async def test_a_disabled_account_is_refused_at_once(
    anonymous: httpx.AsyncClient,
    user: User,
    password: str,
    make_user: UserFactory,
    auth_headers: HeadersFactory,
) -> None:
    admin = auth_headers(await make_user("root@example.com", is_admin=True))
    tokens = await log_in(anonymous, user.email, password)

    disabled = await anonymous.patch(
        f"{V2}/users/{user.id}", json={"is_active": False}, headers=admin
    )
    me = await anonymous.get(f"{V2}/users/me", headers=bearer(tokens))
    refresh = await anonymous.post(
        f"{V2}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    login = await anonymous.post(
        f"{V2}/auth/token", data={"username": user.email, "password": password}
    )

    assert disabled.status_code == 200
    assert disabled.json()["is_active"] is False
    assert [me.status_code, refresh.status_code, login.status_code] == [401, 401, 401]

    enabled = await anonymous.patch(
        f"{V2}/users/{user.id}", json={"is_active": True}, headers=admin
    )
    assert enabled.json()["is_active"] is True
    await log_in(anonymous, user.email, password)


async def test_only_an_administrator_disables_accounts(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.patch(f"{V2}/users/{user.id}", json={"is_active": False})

    assert response.status_code == 403


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("Tr0ub4dor&3", id="11-characters"),
        pytest.param("Password2024!", id="common"),
        pytest.param("qwertyuiop123", id="keyboard-walk"),
        pytest.param("abababababababab", id="few-characters"),
        pytest.param("grace-hopper-1906", id="contains-the-email-name"),
    ],
)
async def test_a_guessable_password_is_refused(anonymous: httpx.AsyncClient, password: str) -> None:
    response = await anonymous.post(
        f"{V2}/users", json={"email": "grace-hopper@example.com", "password": password}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert password not in response.text  # the answer never echoes the password
