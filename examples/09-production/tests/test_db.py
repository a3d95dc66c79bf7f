"""The engine keeps each session's work in one transaction, on every backend."""

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from faults import FaultyProxy, faulty_proxy
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select

from fast_api_template.config import DatabaseSettings
from fast_api_template.db import (
    DATABASE_UNAVAILABLE,
    SessionFactory,
    create_engine,
    create_session_factory,
    on_commit,
    transaction,
)
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
    assert await users_after_five_concurrent_writes(engine) == 5


async def test_an_in_memory_database_takes_concurrent_transactions_in_turn() -> None:
    # The test environment's default: one connection, which two transactions must not share.
    engine = create_engine(DatabaseSettings(url="sqlite+aiosqlite:///:memory:"))
    try:
        async with engine.begin() as connection:
            # The schema as the migrations make it (test_migrations.py shows they agree).
            await connection.run_sync(SQLModel.metadata.create_all)
        assert await users_after_five_concurrent_writes(engine) == 5
    finally:
        await engine.dispose()


async def users_after_five_concurrent_writes(engine: AsyncEngine) -> int:
    """Run five transactions at once, each reading then writing a user; count the users."""
    session_factory = create_session_factory(engine)

    async def read_then_write(email: str) -> None:
        async with session_factory() as session, session.begin():
            await session.exec(select(User))
            session.add(User(email=email))

    async with anyio.create_task_group() as group:
        for number in range(5):
            group.start_soon(read_then_write, f"user{number}@example.com")

    async with session_factory() as session:
        return len((await session.exec(select(User))).all())


# Faults: every wait on the database is bounded, and the pool recovers by itself.
# The bounds asserted below are generous multiples of the timeouts: they catch a wait that
# is not bounded at all (minutes), not a slow machine.

FAST = {"connect_timeout": 0.5, "statement_timeout": 0.1, "pool_timeout": 0.5}


def engine_through(proxy: FaultyProxy, postgres_url: str, **settings: Any) -> AsyncEngine:
    return create_engine(DatabaseSettings(url=proxy.url(postgres_url), **FAST | settings))


async def select_one(session_factory: SessionFactory) -> None:
    async with transaction(session_factory) as session:
        await session.exec(select(1))


async def test_a_stopped_database_fails_at_once_and_recovers(postgres_url: str) -> None:
    async with faulty_proxy(postgres_url) as proxy:
        engine = engine_through(proxy, postgres_url)
        session_factory = create_session_factory(engine)
        await select_one(session_factory)

        await proxy.set_mode("refuse")
        with anyio.fail_after(5), pytest.raises(DATABASE_UNAVAILABLE):
            await select_one(session_factory)

        await proxy.set_mode("pass")
        await select_one(session_factory)  # the pool replaced its broken connection
        await engine.dispose()


@pytest.mark.parametrize("connected", [True, False], ids=["open-connection", "new-connection"])
async def test_a_hung_database_fails_within_the_timeouts(
    postgres_url: str, *, connected: bool
) -> None:
    async with faulty_proxy(postgres_url) as proxy:
        engine = engine_through(proxy, postgres_url)
        session_factory = create_session_factory(engine)
        if connected:
            await select_one(session_factory)  # a connection waits in the pool

        await proxy.set_mode("hang")
        with anyio.fail_after(10), pytest.raises(DATABASE_UNAVAILABLE):
            await select_one(session_factory)
        await engine.dispose()


async def test_a_full_pool_fails_within_the_pool_timeout(postgres_url: str) -> None:
    async with faulty_proxy(postgres_url) as proxy:
        engine = engine_through(proxy, postgres_url, pool_size=1, max_overflow=0)
        session_factory = create_session_factory(engine)
        async with transaction(session_factory) as holder:
            await holder.exec(select(1))  # the only connection is taken
            with anyio.fail_after(5), pytest.raises(DATABASE_UNAVAILABLE):
                await select_one(session_factory)
        await engine.dispose()


async def test_a_failed_statement_does_not_show_its_parameters(engine: AsyncEngine) -> None:
    session_factory = create_session_factory(engine)
    async with transaction(session_factory) as session:
        session.add(User(email="secret@example.com"))

    with pytest.raises(IntegrityError) as caught:
        async with transaction(session_factory) as session:
            session.add(User(email="secret@example.com"))

    assert "secret@example.com" not in str(caught.value)
    assert "hidden" in str(caught.value)


# After-commit hooks: what the services register to follow their writes.


async def test_a_hook_runs_once_the_unit_of_work_has_committed(engine: AsyncEngine) -> None:
    factory = create_session_factory(engine)
    ran: list[str] = []

    async def hook() -> None:
        ran.append("ran")

    async with transaction(factory) as session:
        session.add(User(email="ada@example.com"))
        on_commit(session, hook, key="once")
        on_commit(session, hook, key="once")  # the same key: registered once
        ran_before_the_commit = list(ran)

    assert ran_before_the_commit == []
    assert ran == ["ran"]


async def register_then_fail(factory: SessionFactory, ran: list[str]) -> None:
    """Register a hook in a unit of work that then fails."""

    async def hook() -> None:
        ran.append("ran")

    async with transaction(factory) as session:
        session.add(User(email="ada@example.com"))
        on_commit(session, hook)
        raise RuntimeError("rolled back")


async def test_a_rolled_back_unit_of_work_runs_no_hook(engine: AsyncEngine) -> None:
    ran: list[str] = []

    with pytest.raises(RuntimeError, match="rolled back"):
        await register_then_fail(create_session_factory(engine), ran)

    assert ran == []


async def test_a_failing_hook_lets_the_others_run_then_raises(engine: AsyncEngine) -> None:
    ran: list[str] = []

    async def failing() -> None:
        raise LookupError("the first hook failed")

    async def second() -> None:
        ran.append("second")

    with pytest.raises(LookupError, match="first hook"):
        await commit_with_hooks(create_session_factory(engine), failing, second)

    assert ran == ["second"]


async def commit_with_hooks(factory: SessionFactory, *hooks: Callable[[], Awaitable[None]]) -> None:
    """Commit an empty unit of work with `hooks` registered in it."""
    async with transaction(factory) as session:
        for hook in hooks:
            on_commit(session, hook)
