"""Summaries: one query whatever the number of projects, cached until a write changes them."""

import contextvars
import json
import logging
import pickle
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import anyio
import pytest
from cashews import Cache
from cashews.serialize import HashSigner
from conftest import insert_user, key_prefix, redis_url
from faults import Mode, faulty_proxy
from pydantic import TypeAdapter
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from statements import queries, recorded_statements

from fast_api_template.config import CacheSettings, RedisSettings, Settings
from fast_api_template.core.cache import close_cache, create_cache
from fast_api_template.db import SessionFactory, create_session_factory, transaction
from fast_api_template.models import Project, Task, User
from fast_api_template.models.domain.task import TaskStatus
from fast_api_template.services.projects import NewProject, ProjectService
from fast_api_template.services.summaries import (
    ProjectSummary,
    SummaryCache,
    SummaryService,
    entry_key,
    forget_changed,
    generation_key,
    note_change,
    query_summaries,
)
from fast_api_template.services.tasks import NewTask, TaskService

pytestmark = pytest.mark.anyio

TTL = 60
NAMESPACE = "test"


def id_of(user: User) -> int:
    """Return the id of a saved user."""
    assert user.id is not None
    return user.id


@pytest.fixture
def cache() -> Cache:
    """A cache in this process's memory, as in development."""
    cache = Cache()
    cache.setup("mem://", size=1000)
    return cache


@pytest.fixture
def summaries(session: AsyncSession, cache: Cache, owner: User) -> SummaryService:
    return SummaryService(
        session, cache, owner_id=id_of(owner), ttl_seconds=TTL, namespace=NAMESPACE
    )


async def add_projects(session: AsyncSession, owner: User, count: int, tasks_each: int) -> None:
    """Add projects with tasks of every status, in bulk."""
    assert owner.id is not None
    projects = [Project(name=f"Project {n:04}", owner_id=owner.id) for n in range(count)]
    session.add_all(projects)
    await session.flush()
    statuses = list(TaskStatus)
    session.add_all(
        Task(title=f"Task {n}", status=statuses[n % 3], project_id=project.id or 0)
        for project in projects
        for n in range(tasks_each)
    )
    await session.flush()


async def test_each_status_is_counted_per_project(
    session: AsyncSession, projects: ProjectService, tasks: TaskService, stranger: User
) -> None:
    garden = await projects.create(NewProject(name="Garden"))
    await projects.create(NewProject(name="Empty"))
    assert garden.id is not None
    for status in (TaskStatus.TODO, TaskStatus.TODO, TaskStatus.DONE):
        await tasks.create(garden.id, NewTask(title="Dig", status=status))
    await ProjectService(session, actor=stranger).create(NewProject(name="Not mine"))

    summaries = await query_summaries(session, projects.owner_id, limit=10)

    assert [(s.name, s.todo, s.doing, s.done) for s in summaries] == [
        ("Garden", 2, 0, 1),
        ("Empty", 0, 0, 0),
    ]


# --8<-- [start:constant]
@pytest.mark.parametrize("projects_count", [10, 1000])
async def test_one_query_whatever_the_number_of_projects(
    engine: AsyncEngine, session: AsyncSession, owner: User, projects_count: int
) -> None:
    await add_projects(session, owner, projects_count, tasks_each=3)

    with recorded_statements(engine) as statements:
        summaries = await query_summaries(session, owner.id or 0, limit=projects_count)

    assert len(summaries) == projects_count
    assert all((s.todo, s.doing, s.done) == (1, 1, 1) for s in summaries)
    assert len(queries(statements)) == 1


# --8<-- [end:constant]


async def test_a_second_read_comes_from_the_cache(
    engine: AsyncEngine, session: AsyncSession, owner: User, summaries: SummaryService
) -> None:
    await add_projects(session, owner, 3, tasks_each=2)

    with recorded_statements(engine) as first:
        fresh = await summaries.first(10)
    with recorded_statements(engine) as second:
        cached = await summaries.first(10)

    assert cached == fresh
    assert len(queries(first)) == 1
    assert queries(second) == []


async def test_a_cache_switched_off_sends_every_read_to_the_database(
    engine: AsyncEngine, session: AsyncSession, owner: User
) -> None:
    await add_projects(session, owner, 3, tasks_each=2)
    settings = Settings(env="test", cache=CacheSettings(enabled=False))
    # Made in a context of its own, as the lifespan makes it in a task of its own: the switch
    # must hold in the tasks that serve the requests too.
    cache = contextvars.copy_context().run(create_cache, settings)
    summaries = SummaryService(
        session, cache, owner_id=id_of(owner), ttl_seconds=TTL, namespace=NAMESPACE
    )

    with recorded_statements(engine) as statements:
        first, second = await summaries.first(10), await summaries.first(10)

    assert first == second
    assert len(first) == 3
    assert len(queries(statements)) == 2


async def test_every_entry_expires(summaries: SummaryService, cache: Cache) -> None:
    await summaries.first(10)

    keys = [key async for key in cache.scan(f"{NAMESPACE}:summaries:*:10")]

    assert len(keys) == 1
    assert 0 < await cache.get_expire(keys[0]) <= TTL


async def test_a_committed_write_makes_the_summary_fresh_again(
    session: AsyncSession,
    cache: Cache,
    projects: ProjectService,
    tasks: TaskService,
    summaries: SummaryService,
) -> None:
    garden = await projects.create(NewProject(name="Garden"))
    await forget_changed(session, cache, namespace=NAMESPACE)
    assert [s.todo for s in await summaries.first(10)] == [0]

    await tasks.create(garden.id or 0, NewTask(title="Dig"))
    still = await summaries.first(10)  # not committed: the cache still serves the old counts
    await session.commit()
    await forget_changed(
        session, cache, namespace=NAMESPACE
    )  # what the request's unit of work does after commit

    assert [s.todo for s in still] == [0]
    assert [s.todo for s in await summaries.first(10)] == [1]


async def test_every_write_notes_its_owner(
    session: AsyncSession, projects: ProjectService, tasks: TaskService, owner: User
) -> None:
    # Each write of the services, then what it noted for invalidation.
    garden = await projects.create(NewProject(name="Garden"))
    noted = [session.info.pop("summaries.changed_owners", set())]
    task = await tasks.create(garden.id or 0, NewTask(title="Dig"))
    noted.append(session.info.pop("summaries.changed_owners", set()))
    await tasks.update(garden.id or 0, task.id or 0, {"status": TaskStatus.DONE})
    noted.append(session.info.pop("summaries.changed_owners", set()))
    await tasks.delete(garden.id or 0, task.id or 0)
    noted.append(session.info.pop("summaries.changed_owners", set()))
    await projects.update(garden.id or 0, {"name": "Orchard"})
    noted.append(session.info.pop("summaries.changed_owners", set()))
    await projects.archive(garden.id or 0)
    noted.append(session.info.pop("summaries.changed_owners", set()))
    await projects.delete(garden.id or 0)
    noted.append(session.info.pop("summaries.changed_owners", set()))

    assert noted == [{owner.id}] * 7


async def test_many_readers_of_an_empty_entry_query_once(
    engine: AsyncEngine, session: AsyncSession, owner: User, cache: Cache
) -> None:
    await add_projects(session, owner, 5, tasks_each=1)
    await session.commit()
    factory_session = session  # the readers share one session: the count is what matters
    results: list[list[ProjectSummary]] = []

    async def read() -> None:
        service = SummaryService(
            factory_session, cache, owner_id=id_of(owner), ttl_seconds=TTL, namespace=NAMESPACE
        )
        results.append(await service.first(10))

    with recorded_statements(engine) as statements:
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(read)

    assert len(results) == 20
    assert all(result == results[0] for result in results)
    assert len([s for s in queries(statements) if "GROUP BY" in s]) == 1


async def test_the_generation_moves_on_with_each_change(
    session: AsyncSession, cache: Cache, owner: User
) -> None:
    session.info["summaries.changed_owners"] = {owner.id}

    await forget_changed(session, cache, namespace=NAMESPACE)
    await forget_changed(
        session, cache, namespace=NAMESPACE
    )  # nothing noted any more: nothing moves

    assert await cache.get(generation_key(NAMESPACE, owner.id or 0)) == 1


# Redis: shared by every process, and never a reason to fail.

# The logger of the cache, which says when a call to Redis failed.
CACHE_LOGGER = "fast_api_template.core.cache"


@pytest.fixture
async def redis_cache() -> AsyncIterator[tuple[Settings, Cache]]:
    """A cache in the test Redis, under a key prefix of the test's own."""
    settings = Settings(env="test", redis={"url": redis_url(), "key_prefix": key_prefix()})
    cache = create_cache(settings)
    yield settings, cache
    await cache.delete_match(f"{settings.redis.key_prefix}:*")
    await close_cache(cache)


async def test_a_write_in_one_process_refreshes_the_others(
    session: AsyncSession, owner: User, redis_cache: tuple[Settings, Cache]
) -> None:
    settings, cache = redis_cache
    namespace = settings.redis.key_prefix
    other_process = create_cache(settings)  # another process: its own client, the same Redis
    await add_projects(session, owner, 1, tasks_each=0)
    theirs = SummaryService(
        session, other_process, owner_id=id_of(owner), ttl_seconds=TTL, namespace=namespace
    )
    assert [s.todo for s in await theirs.first(10)] == [0]

    project = (await query_summaries(session, owner.id or 0, limit=1))[0]
    session.add(Task(title="Dig", project_id=project.id))
    note_change(session, owner.id or 0)
    await session.commit()
    await forget_changed(session, cache, namespace=namespace)  # this process wrote

    assert [s.todo for s in await theirs.first(10)] == [1]
    await close_cache(other_process)


@pytest.mark.parametrize("fault", ["refuse", "hang"])
async def test_with_redis_down_reads_go_to_the_database(
    engine: AsyncEngine,
    session: AsyncSession,
    owner: User,
    fault: Mode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_projects(session, owner, 2, tasks_each=3)
    async with faulty_proxy(redis_url()) as proxy:
        redis = RedisSettings(url=proxy.url(redis_url()), key_prefix=key_prefix(), timeout=0.5)
        cache = create_cache(Settings(env="test", redis=redis))
        service = SummaryService(
            session, cache, owner_id=id_of(owner), ttl_seconds=TTL, namespace=redis.key_prefix
        )
        up = await service.first(10)
        await proxy.set_mode(fault)
        caplog.set_level(logging.WARNING, logger=CACHE_LOGGER)
        caplog.clear()
        with recorded_statements(engine) as statements:
            started = time.monotonic()
            down = await service.first(10)
            first_wait = time.monotonic() - started
            started = time.monotonic()
            again = await service.first(10)
            second_wait = time.monotonic() - started
        await close_cache(cache)

    assert down == again == up
    assert len(queries(statements)) == 2  # both answered from the database
    # One call to the Redis that is down, which fails (a hung one after one wait of
    # `redis.timeout`), then none while the cache is skipped: one line says so.
    assert cache_failures(caplog) == 1
    # And in time: a wait lasts a whole timeout, so each bound leaves a timeout's room for the
    # reads' own work under load. A wait on each call (a read makes more than one) breaks both.
    assert first_wait < 2 * redis.timeout
    assert second_wait < redis.timeout


def cache_failures(caplog: pytest.LogCaptureFixture) -> int:
    """Count the calls to Redis that failed: the cache logs a line for each."""
    return sum(
        record.name == CACHE_LOGGER and record.getMessage().startswith("cache unavailable")
        for record in caplog.records
    )


# Whatever the cache holds is data. Whoever can write to Redis can put any bytes under any key
# (and an older version of the service may have left pickles there): each is a miss, answered
# from the database, and nothing in it ever runs.


class RunsCode:
    """A pickle that writes a file when it is loaded: the proof that loading it ran code."""

    def __init__(self, proof: Path) -> None:
        self.proof = proof

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str]]:
        return exec, (f"open({str(self.proof)!r}, 'w').write('ran')",)


PLANTED = [
    "pickle",
    "pickle tagged as bytes",
    "pickle signed with sum",
    "pickle signed with sha256",
    "garbage",
    "bytes, not JSON",
    "JSON of another shape",
    "JSON with a wrong type",
    "JSON missing a field",
    "a number",
]


def planted_value(kind: str, key: str, proof: Path) -> bytes:
    """Bytes of one kind, as a writer to Redis could store them under `key`."""
    code = pickle.dumps(RunsCode(proof))
    # cashews' signature, made with the service's own key: what it checked before, and what
    # the "sum" algorithm lets a writer forge without the key, by trying a few thousand values.
    secret = Settings(env="test").security.secret_key.get_secret_value()
    one = {"id": 1, "name": "Made up", "archived": False, "todo": 1, "doing": 0, "done": 0}
    values = {
        "pickle": code,
        "pickle tagged as bytes": b"bytes:" + code,
        "pickle signed with sum": HashSigner(secret, "sum").sign(key, code),
        "pickle signed with sha256": HashSigner(secret, "sha256").sign(key, code),
        "garbage": b"\x80\x04\xff\x00 not anything",
        "bytes, not JSON": b"bytes:{not json",
        "JSON of another shape": b"bytes:" + json.dumps(one).encode(),
        "JSON with a wrong type": b"bytes:" + json.dumps([{**one, "todo": "1"}]).encode(),
        "JSON missing a field": b"bytes:" + json.dumps([{"id": 1, "name": "x"}]).encode(),
        "a number": b"12345",
    }
    return values[kind]


Plant = Callable[[str, bytes], Awaitable[object]]


@pytest.fixture(params=["memory", "redis"])
async def planted_cache(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Cache, str, Plant]]:
    """A cache as the service sets it up, its namespace, and a way to write raw bytes in it."""
    if request.param == "memory":
        settings = Settings(env="test")
        cache = create_cache(settings)
        yield cache, NAMESPACE, cache.set_raw  # cashews' own way in, past its serializer
        return
    settings = Settings(env="test", redis={"url": redis_url(), "key_prefix": key_prefix()})
    cache = create_cache(settings)
    # Another client of the same Redis: a writer that is not the service.
    async with Redis.from_url(redis_url()) as writer:
        yield cache, settings.redis.key_prefix, writer.set
    await cache.delete_match(f"{settings.redis.key_prefix}:*")
    await close_cache(cache)


def cache_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "fast_api_template.core.cache"]


@pytest.mark.parametrize("kind", PLANTED)
async def test_a_planted_entry_is_a_miss_and_never_runs(
    engine: AsyncEngine,
    session: AsyncSession,
    owner: User,
    planted_cache: tuple[Cache, str, Plant],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    cache, namespace, plant = planted_cache
    await add_projects(session, owner, 2, tasks_each=3)
    expected = await query_summaries(session, owner.id or 0, limit=10)
    # The exact key of the service's next read: generation 0, ten projects.
    key = entry_key(namespace, owner.id or 0, 0, 10)
    proof = tmp_path / "ran"
    await plant(key, planted_value(kind, key, proof))
    service = SummaryService(
        session, cache, owner_id=id_of(owner), ttl_seconds=TTL, namespace=namespace
    )

    with recorded_statements(engine) as statements, caplog.at_level(logging.WARNING):
        read = await service.first(10)
    with recorded_statements(engine) as next_read:
        again = await service.first(10)

    assert read == again == expected  # from the database, then from the cache
    assert len(queries(statements)) == 1
    assert queries(next_read) == []  # the fill wrote a good entry over the planted one
    assert not proof.exists()  # nothing in it ran
    warnings = cache_warnings(caplog)
    assert len(warnings) == 1  # one line per read that met it, no traceback
    assert key in warnings[0].getMessage()
    assert "\n" not in warnings[0].getMessage()
    assert warnings[0].exc_info is None


async def test_a_planted_generation_sends_reads_to_the_database(
    engine: AsyncEngine,
    session: AsyncSession,
    owner: User,
    planted_cache: tuple[Cache, str, Plant],
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache, namespace, plant = planted_cache
    await add_projects(session, owner, 1, tasks_each=1)
    await plant(generation_key(namespace, owner.id or 0), b"bytes:not a number")
    service = SummaryService(
        session, cache, owner_id=id_of(owner), ttl_seconds=TTL, namespace=namespace
    )

    with recorded_statements(engine) as statements, caplog.at_level(logging.WARNING):
        first, second = await service.first(10), await service.first(10)

    assert first == second == await query_summaries(session, owner.id or 0, limit=10)
    # No entry can be known to be current, so none is used.
    assert len(queries(statements)) == 2
    assert len(cache_warnings(caplog)) == 2


async def test_the_cache_holds_json(
    session: AsyncSession, owner: User, planted_cache: tuple[Cache, str, Plant]
) -> None:
    cache, namespace, _ = planted_cache
    await add_projects(session, owner, 1, tasks_each=1)
    service = SummaryService(
        session, cache, owner_id=id_of(owner), ttl_seconds=TTL, namespace=namespace
    )

    summaries = await service.first(10)
    stored = await cache.get_raw(entry_key(namespace, owner.id or 0, 0, 10))

    # cashews' tag for bytes kept as they are, then the JSON: nothing that a loader could run.
    assert stored.removeprefix(b"bytes:") == TypeAdapter(list[ProjectSummary]).dump_json(summaries)


async def test_a_change_outside_any_request_makes_the_summaries_stale(
    engine: AsyncEngine, cache: Cache
) -> None:
    # A script or a worker's job: `db.transaction` on a factory that carries the cache.
    factory = create_session_factory(engine, info=SummaryCache(cache, NAMESPACE).info())
    async with transaction(factory) as session:
        owner = await insert_user(session)
        project = await ProjectService(session, actor=owner).create(NewProject(name="Garden"))

    async def todo_counts() -> list[int]:
        async with transaction(factory) as session:
            service = SummaryService(
                session, cache, owner_id=id_of(owner), ttl_seconds=TTL, namespace=NAMESPACE
            )
            return [summary.todo for summary in await service.first(10)]

    before = await todo_counts()  # now in the cache
    async with transaction(factory) as session:
        tasks = TaskService(session, ProjectService(session, actor=owner))
        await tasks.create(project.id or 0, NewTask(title="Dig"))

    assert (before, await todo_counts()) == ([0], [1])


async def test_a_rolled_back_change_leaves_the_summaries_as_they_were(
    engine: AsyncEngine, cache: Cache
) -> None:
    factory = create_session_factory(engine, info=SummaryCache(cache, NAMESPACE).info())
    async with transaction(factory) as session:
        owner = await insert_user(session)
    generation = generation_key(NAMESPACE, owner.id or 0)

    with pytest.raises(RuntimeError, match="rolled back"):
        await create_then_fail(factory, owner)

    assert await cache.get(generation) is None  # no hook ran: no new generation


async def create_then_fail(factory: SessionFactory, owner: User) -> None:
    """Create a project in a unit of work that then fails, so that it rolls back."""
    async with transaction(factory) as session:
        await ProjectService(session, actor=owner).create(NewProject(name="Garden"))
        raise RuntimeError("rolled back")
