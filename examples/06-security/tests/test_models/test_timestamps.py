"""Rows know when they were created and last changed, in UTC, on every backend."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

import fast_api_template
from fast_api_template.models import User

pytestmark = pytest.mark.anyio

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def reload(session: AsyncSession, user: User) -> User:
    """Read the row back from the database, not from the session's identity map."""
    session.expunge_all()
    return (await session.exec(select(User).where(User.id == user.id))).one()


async def test_new_rows_get_both_timestamps(session: AsyncSession) -> None:
    before = datetime.now(UTC)
    user = User(email="ada@example.com")
    session.add(user)
    await session.flush()

    loaded = await reload(session, user)

    assert loaded.created_at.tzinfo is UTC
    assert loaded.updated_at.tzinfo is UTC
    assert loaded.created_at >= before - timedelta(seconds=1)


async def test_changing_a_row_moves_updated_at_only(session: AsyncSession) -> None:
    user = User(email="ada@example.com", created_at=LONG_AGO, updated_at=LONG_AGO)
    session.add(user)
    await session.flush()

    user.email = "ada@example.org"
    await session.flush()
    loaded = await reload(session, user)

    assert loaded.created_at == LONG_AGO
    assert loaded.updated_at > LONG_AGO


async def test_bulk_updates_move_updated_at_too(session: AsyncSession) -> None:
    user = User(email="ada@example.com", created_at=LONG_AGO, updated_at=LONG_AGO)
    session.add(user)
    await session.flush()

    await session.exec(update(User).where(col(User.id) == user.id).values(email="a@example.org"))
    loaded = await reload(session, user)

    assert loaded.updated_at > LONG_AGO


async def test_other_timezones_are_stored_as_utc(session: AsyncSession) -> None:
    paris_noon = datetime(2024, 6, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    user = User(email="ada@example.com", created_at=paris_noon)
    session.add(user)
    await session.flush()

    loaded = await reload(session, user)

    assert loaded.created_at == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert loaded.created_at.tzinfo is UTC


async def test_naive_datetimes_are_refused(session: AsyncSession) -> None:
    session.add(User(email="ada@example.com", created_at=datetime(2024, 6, 1, 12)))

    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()


def test_the_package_reads_the_time_in_one_place() -> None:
    # One clock, `models.base.utc_now`: code that asks for the time gets it from there (or
    # from the `get_clock` dependency that returns it), so a test that moves it moves it for all.
    package = Path(fast_api_template.__file__).parent
    readers = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "datetime.now(" in path.read_text(encoding="utf-8")
    )

    assert readers == ["models/base.py"]
