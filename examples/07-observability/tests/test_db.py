"""The engine keeps each session's work in one transaction, on every backend."""

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from fast_api_template.db import create_session_factory
from fast_api_template.models import User

pytestmark = pytest.mark.anyio


async def test_rollback_undoes_released_savepoints(engine: AsyncEngine) -> None:
    session_factory = create_session_factory(engine)
    async with session_factory() as session:
        await session.exec(select(User))  # a read first: SQLite's driver would not BEGIN here
        async with session.begin_nested():
            session.add(User(email="ada@example.com"))
        await session.rollback()

    async with session_factory() as session:
        assert (await session.exec(select(User))).all() == []


async def test_concurrent_transactions_that_read_then_write_all_commit(
    engine: AsyncEngine,
) -> None:
    session_factory = create_session_factory(engine)

    async def read_then_write(email: str) -> None:
        async with session_factory() as session, session.begin():
            await session.exec(select(User))
            session.add(User(email=email))

    async with anyio.create_task_group() as group:
        for number in range(5):
            group.start_soon(read_then_write, f"user{number}@example.com")

    async with session_factory() as session:
        assert len((await session.exec(select(User))).all()) == 5
