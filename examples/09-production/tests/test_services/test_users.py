"""Accounts: registered once per email, in any case, with only a hash of the password."""

import secrets

import pytest
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.core.security import Passwords
from fast_api_template.models import User
from fast_api_template.services.exceptions import EmailTakenError, UserNotFoundError
from fast_api_template.services.users import UserService

pytestmark = pytest.mark.anyio

PASSWORD = secrets.token_urlsafe(12)


async def test_register_stores_a_hash_not_the_password(
    session: AsyncSession, passwords: Passwords
) -> None:
    user = await UserService(session).register("Ada@Example.com", PASSWORD, passwords)

    assert user.id is not None
    assert user.email == "ada@example.com"
    assert user.hashed_password is not None
    assert PASSWORD not in user.hashed_password
    assert passwords.verify(PASSWORD, user.hashed_password) == (True, None)
    assert user.is_admin is False


async def test_an_email_is_registered_once_in_any_case(
    session: AsyncSession, passwords: Passwords
) -> None:
    service = UserService(session)
    await service.register("ada@example.com", PASSWORD, passwords)

    with pytest.raises(EmailTakenError):
        await service.register("ADA@example.com", PASSWORD, passwords)

    # The savepoint undid only the duplicate: the session goes on.
    assert (await session.exec(select(func.count()).select_from(User))).one() == 1


async def test_find_by_email_ignores_case(session: AsyncSession, passwords: Passwords) -> None:
    user = await UserService(session).register("ada@example.com", PASSWORD, passwords)

    assert await UserService(session).find_by_email("ADA@EXAMPLE.COM") is user
    assert await UserService(session).find_by_email("eve@example.com") is None


async def test_get_unknown_user(session: AsyncSession) -> None:
    with pytest.raises(UserNotFoundError, match=r"There is no user 42\."):
        await UserService(session).get(42)
