"""A project's statistics: counted, served from the cache, and fresh after each write.

The entry is keyed by the project owner's generation, so a write by the owner makes it stale
for every reader, an admin included; and the rule of projects runs before the cache is read.
"""

from collections.abc import Awaitable, Callable

import httpx
import pytest
from conftest import resources_of
from fastapi import FastAPI

from acme_api.models import User
from acme_api.services.statistics import STATISTICS
from acme_api.services.summaries import generation_key

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

UserFactory = Callable[..., Awaitable[User]]
HeadersFactory = Callable[[User], dict[str, str]]


@pytest.fixture
async def project(client: httpx.AsyncClient) -> str:
    """A project of `user` with a task of each status and a comment: its URL."""
    created = (await client.post("/api/v2/projects", json={"name": "Garden"})).json()
    url = f"/api/v2/projects/{created['id']}"
    for status in ("todo", "doing", "done"):
        task = (await client.post(f"{url}/tasks", json={"title": "T", "status": status})).json()
    await client.post(f"{url}/tasks/{task['id']}/comments", json={"body": "Done!"})
    return url


async def entry_key(app: FastAPI, owner: User, project_url: str) -> str:
    """Where the statistics of the project are cached now."""
    resources = resources_of(app)
    namespace = resources.settings.redis.key_prefix
    generation = await resources.cache.get(generation_key(namespace, owner.id or 0)) or 0
    project_id = project_url.rsplit("/", 1)[-1]
    return f"{namespace}:statistics:{owner.id}:{generation}:{project_id}"


async def test_the_tasks_by_status_and_the_comments(
    client: httpx.AsyncClient, project: str
) -> None:
    response = await client.get(f"{project}/statistics")

    assert response.json() == {"todo": 1, "doing": 1, "done": 1, "comments": 1}


async def test_a_second_read_comes_from_the_cache(
    app: FastAPI, client: httpx.AsyncClient, project: str, user: User
) -> None:
    await client.get(f"{project}/statistics")
    key = await entry_key(app, user, project)
    planted = {"todo": 7, "doing": 7, "done": 7, "comments": 7}
    await STATISTICS.write(resources_of(app).cache, key, planted, expire=60)

    assert (await client.get(f"{project}/statistics")).json() == planted


async def test_the_owners_write_is_seen_by_an_admin_at_once(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    project: str,
    make_user: UserFactory,
    auth_headers: HeadersFactory,
) -> None:
    admin = auth_headers(await make_user("root@example.com", is_admin=True))
    before = (await anonymous.get(f"{project}/statistics", headers=admin)).json()

    await client.post(f"{project}/tasks", json={"title": "One more"})
    after = (await anonymous.get(f"{project}/statistics", headers=admin)).json()

    assert (before["todo"], after["todo"]) == (1, 2)


async def test_a_stranger_is_refused_even_when_it_is_cached(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    project: str,
    make_user: UserFactory,
    auth_headers: HeadersFactory,
) -> None:
    await client.get(f"{project}/statistics")  # now in the cache
    stranger = auth_headers(await make_user("eve@example.com"))

    response = await anonymous.get(f"{project}/statistics", headers=stranger)

    assert response.status_code == 404
