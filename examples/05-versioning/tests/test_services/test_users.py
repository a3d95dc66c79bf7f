"""Users are found by email address, or created once."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.db import create_session_factory
from fast_api_template.models import User
from fast_api_template.services.users import UserService

pytestmark = pytest.mark.anyio


async def test_the_same_email_gives_the_same_user(session: AsyncSession) -> None:
    first = await UserService(session).get_or_create("ada@example.com")
    second = await UserService(session).get_or_create("ada@example.com")

    assert first.id is not None
    assert second.id == first.id


async def test_a_user_created_meanwhile_is_used(
    engine: AsyncEngine, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another request creates the user between this one's lookup and its insert.
    async with create_session_factory(engine)() as other, other.begin():
        other.add(User(email="ada@example.com"))
    service = UserService(session)
    real_find = service._find
    lookups: list[str] = []

    async def find_nothing_the_first_time(email: str) -> User | None:
        lookups.append(email)
        return None if len(lookups) == 1 else await real_find(email)

    monkeypatch.setattr(service, "_find", find_nothing_the_first_time)

    user = await service.get_or_create("ada@example.com")

    assert user.email == "ada@example.com"
    assert len(lookups) == 2
    assert (await session.exec(select(func.count()).select_from(User))).one() == 1
