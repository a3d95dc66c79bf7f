"""Logins and refresh tokens, without HTTP: rotation, reuse detection, expiry, upgrades."""

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.config import RedisSettings, Settings
from fast_api_template.core.errors import InvalidTokenError, TooManyAttemptsError
from fast_api_template.core.rate_limit import LoginThrottle, create_storage
from fast_api_template.core.security import Passwords, decode_access_token
from fast_api_template.db import create_session_factory
from fast_api_template.models import RefreshToken, User
from fast_api_template.services.auth import AuthService
from fast_api_template.services.exceptions import InvalidCredentialsError, RefreshTokenReusedError
from fast_api_template.services.users import UserService

pytestmark = pytest.mark.anyio

PASSWORD = secrets.token_urlsafe(12)


class Clock:
    """A clock that tests move by hand."""

    def __init__(self) -> None:
        # Real time to begin with: the access tokens it stamps must not be expired already.
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(
    session: AsyncSession, settings: Settings, passwords: Passwords, clock: Clock
) -> AuthService:
    throttle = LoginThrottle(create_storage(RedisSettings()), settings.security)
    return AuthService(
        session, settings=settings.security, passwords=passwords, throttle=throttle, clock=clock
    )


@pytest.fixture
async def ada(session: AsyncSession, passwords: Passwords) -> User:
    return await UserService(session).register("ada@example.com", PASSWORD, passwords)


async def tokens_of(session: AsyncSession) -> list[RefreshToken]:
    return list(await session.exec(select(RefreshToken).order_by(col(RefreshToken.id))))


async def test_login_issues_an_access_and_a_refresh_token(
    auth: AuthService, ada: User, settings: Settings, clock: Clock
) -> None:
    pair = await auth.login("ADA@example.com", PASSWORD, address="10.0.0.1")

    claims = decode_access_token(
        pair.access_token, secret=settings.security.secret_key.get_secret_value()
    )
    assert claims.user_id == ada.id
    assert pair.expires_in == 15 * 60
    [stored] = await tokens_of(auth.session)
    assert stored.token_hash != pair.refresh_token  # only the digest is kept
    # Fourteen days unused, but never past the session's end, twelve hours after the login.
    assert stored.expires_at == clock.now + timedelta(hours=12)
    assert stored.session_started_at == clock.now


@pytest.mark.parametrize(
    ("email", "password"),
    [("ada@example.com", "wrong-password"), ("eve@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
@pytest.mark.usefixtures("ada")
async def test_a_failed_login_does_not_say_why(
    auth: AuthService, email: str, password: str
) -> None:
    with pytest.raises(InvalidCredentialsError) as caught:
        await auth.login(email, password, address="10.0.0.1")

    assert caught.value.detail == "The email or the password is wrong."


async def test_an_account_without_a_password_cannot_log_in(
    auth: AuthService, session: AsyncSession
) -> None:
    session.add(User(email="eve@example.com"))
    await session.flush()

    with pytest.raises(InvalidCredentialsError):
        await auth.login("eve@example.com", "", address="10.0.0.1")


@pytest.mark.usefixtures("ada")
async def test_failures_are_throttled_even_for_the_right_password(auth: AuthService) -> None:
    for _ in range(5):
        with pytest.raises(InvalidCredentialsError):
            await auth.login("ada@example.com", "wrong-password", address="10.0.0.1")

    with pytest.raises(TooManyAttemptsError):
        await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
    # The owner, elsewhere, is not locked out by what was tried from 10.0.0.1.
    await auth.login("ada@example.com", PASSWORD, address="10.0.0.2")


async def test_login_upgrades_a_hash_made_with_old_costs(
    settings: Settings, auth: AuthService, ada: User
) -> None:
    stronger = settings.security.model_copy(update={"password_time_cost": 2})
    auth.passwords = Passwords(stronger)

    await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")

    assert ada.hashed_password is not None
    assert "$m=8,t=2,p=1$" in ada.hashed_password


@pytest.mark.usefixtures("ada")
async def test_refresh_rotates_within_the_family(auth: AuthService) -> None:
    first = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")

    second = await auth.refresh(first.refresh_token)
    third = await auth.refresh(second.refresh_token)

    tokens = await tokens_of(auth.session)
    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    assert len({token.family_id for token in tokens}) == 1
    assert [token.used_at is not None for token in tokens] == [True, True, False]


@pytest.mark.usefixtures("ada")
async def test_reuse_revokes_the_family_and_only_it(auth: AuthService) -> None:
    other_device = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
    stolen = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
    rotated = await auth.refresh(stolen.refresh_token)

    # The thief (or the victim) presents the spent token again.
    with pytest.raises(RefreshTokenReusedError):
        await auth.refresh(stolen.refresh_token)

    # Its successor is dead too: whoever holds it must log in again ...
    with pytest.raises(InvalidTokenError):
        await auth.refresh(rotated.refresh_token)
    # ... but the other login of the same user goes on.
    assert (await auth.refresh(other_device.refresh_token)).access_token


@pytest.mark.usefixtures("ada")
async def test_the_revocation_is_committed_before_the_error(
    auth: AuthService, session: AsyncSession
) -> None:
    pair = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
    await auth.refresh(pair.refresh_token)

    with pytest.raises(RefreshTokenReusedError):
        await auth.refresh(pair.refresh_token)
    await session.rollback()  # what the request does with the error

    assert all(token.revoked_at is not None for token in await tokens_of(session))


@pytest.mark.usefixtures("ada")
async def test_an_expired_refresh_token_is_refused(auth: AuthService, clock: Clock) -> None:
    pair = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")

    clock.now += timedelta(days=14)

    with pytest.raises(InvalidTokenError, match="expired"):
        await auth.refresh(pair.refresh_token)


async def test_an_unknown_refresh_token_is_refused(auth: AuthService) -> None:
    with pytest.raises(InvalidTokenError):
        await auth.refresh("made-up")


@pytest.mark.usefixtures("ada")
async def test_two_refreshes_racing_with_one_token_make_one_winner(
    engine: AsyncEngine, settings: Settings, passwords: Passwords, auth: AuthService
) -> None:
    pair = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
    await auth.session.commit()
    factory = create_session_factory(engine)
    throttle = LoginThrottle(create_storage(RedisSettings()), settings.security)

    async def attempt() -> str:
        # Each on its own connection and transaction, as two requests would be.
        async with factory() as session, session.begin():
            service = AuthService(
                session, settings=settings.security, passwords=passwords, throttle=throttle
            )
            try:
                await service.refresh(pair.refresh_token)
            except RefreshTokenReusedError:
                return "reuse detected"
            return "refreshed"

    outcomes = await asyncio.gather(attempt(), attempt())

    assert sorted(outcomes) == ["refreshed", "reuse detected"]


# Ending sessions: a fixed lifetime, logout, logout everywhere, disabled accounts


@pytest.mark.usefixtures("ada")
async def test_no_refresh_outlives_the_session(
    auth: AuthService, settings: Settings, clock: Clock
) -> None:
    pair = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
    # Refreshed every hour, the session still ends `session_hours` after the login.
    for _ in range(settings.security.session_hours - 1):
        clock.now += timedelta(hours=1)
        pair = await auth.refresh(pair.refresh_token)
    clock.now += timedelta(hours=1)

    with pytest.raises(InvalidTokenError):
        await auth.refresh(pair.refresh_token)


@pytest.mark.usefixtures("ada")
async def test_logout_ends_the_session_and_only_that_one(auth: AuthService) -> None:
    laptop = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
    phone = await auth.login("ada@example.com", PASSWORD, address="10.0.0.2")
    rotated = await auth.refresh(laptop.refresh_token)

    await auth.logout(laptop.refresh_token)  # an older token of the session ends it all

    with pytest.raises(InvalidTokenError):
        await auth.refresh(rotated.refresh_token)
    await auth.refresh(phone.refresh_token)
    await auth.logout("not-a-token")  # says nothing, ends nothing


async def test_logout_everywhere_ends_every_session(auth: AuthService, ada: User) -> None:
    laptop = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
    phone = await auth.login("ada@example.com", PASSWORD, address="10.0.0.2")
    version = ada.token_version

    await auth.logout_everywhere(ada)

    assert ada.token_version == version + 1  # every access token issued before is refused
    for pair in (laptop, phone):
        with pytest.raises(InvalidTokenError):
            await auth.refresh(pair.refresh_token)


@pytest.mark.parametrize("how", ["disabled", "password cleared"])
async def test_an_account_that_cannot_sign_in_cannot_refresh(
    auth: AuthService, ada: User, how: str
) -> None:
    pair = await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")

    if how == "disabled":
        ada.is_active = False
    else:
        ada.hashed_password = None

    with pytest.raises(InvalidTokenError):
        await auth.refresh(pair.refresh_token)


async def test_a_disabled_account_cannot_log_in(auth: AuthService, ada: User) -> None:
    assert ada.id is not None
    await auth.set_active(ada.id, active=False, by=ada)

    # The same answer as a wrong password: nothing tells a guesser the password was right.
    with pytest.raises(InvalidCredentialsError):
        await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")

    await auth.set_active(ada.id, active=True, by=ada)
    await auth.login("ada@example.com", PASSWORD, address="10.0.0.1")
