"""Project summaries over HTTP: correct, and fresh again as soon as a write commits."""

import pickle

import httpx
import pytest
from conftest import resources_of, wait_for_jobs
from fastapi import FastAPI

from fast_api_template.core.jobs import enqueue
from fast_api_template.db import transaction
from fast_api_template.models import User
from fast_api_template.schemas.pagination import DEFAULT_LIMIT
from fast_api_template.services.projects import ProjectService
from fast_api_template.services.summaries import entry_key
from fast_api_template.services.tasks import NewTask, TaskService

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

SUMMARIES = "/api/v2/projects/summaries"


async def test_each_project_with_its_tasks_counted(client: httpx.AsyncClient) -> None:
    garden = (await client.post("/api/v2/projects", json={"name": "Garden"})).json()["id"]
    await client.post("/api/v2/projects", json={"name": "Kitchen"})
    for status in ("todo", "done", "done"):
        await client.post(f"/api/v2/projects/{garden}/tasks", json={"title": "T", "status": status})

    response = await client.get(SUMMARIES)

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": garden,
            "name": "Garden",
            "archived": False,
            "tasks": {"todo": 1, "doing": 0, "done": 2},
        },
        {
            "id": garden + 1,
            "name": "Kitchen",
            "archived": False,
            "tasks": {"todo": 0, "doing": 0, "done": 0},
        },
    ]


async def test_a_write_shows_in_the_next_read(client: httpx.AsyncClient) -> None:
    garden = (await client.post("/api/v2/projects", json={"name": "Garden"})).json()["id"]
    before = (await client.get(SUMMARIES)).json()  # now cached

    await client.post(f"/api/v2/projects/{garden}/tasks", json={"title": "Dig"})
    after = (await client.get(SUMMARIES)).json()
    await client.delete(f"/api/v2/projects/{garden}")
    gone = (await client.get(SUMMARIES)).json()

    assert before[0]["tasks"]["todo"] == 0
    assert after[0]["tasks"]["todo"] == 1
    assert gone == []


async def test_the_path_is_not_taken_for_a_project_id(client: httpx.AsyncClient) -> None:
    # The id routes match digits only (`{project_id:int}`), so the order of the routes does
    # not matter: the other methods find no route here, rather than an id route's 422.
    assert (await client.get(SUMMARIES)).status_code == 200
    for method in ["PATCH", "DELETE", "OPTIONS"]:
        response = await client.request(method, SUMMARIES, json={})

        assert response.status_code == 405, (method, response.text)
        assert response.headers["allow"] == "GET", method


@pytest.mark.parametrize("limit", ["0", "101", "many"])
async def test_the_limit_is_bounded(client: httpx.AsyncClient, limit: str) -> None:
    response = await client.get(SUMMARIES, params={"limit": limit})

    assert response.status_code == 422


class Boom:
    """A pickle that raises when it is loaded: a 500 if the service ever loads one."""

    def __reduce__(self) -> tuple[type[Exception], tuple[str]]:
        return RuntimeError, ("a cached pickle was loaded",)


@pytest.mark.parametrize("planted", [pickle.dumps(Boom()), b"bytes:" + pickle.dumps(Boom())])
async def test_a_planted_cache_entry_is_never_an_error(
    app: FastAPI, client: httpx.AsyncClient, user: User, planted: bytes
) -> None:
    await client.post("/api/v2/projects", json={"name": "Garden"})
    resources = resources_of(app)
    key = entry_key(resources.settings.redis.key_prefix, user.id or 0, 0, DEFAULT_LIMIT)
    await resources.cache.set_raw(key, planted)

    response = await client.get(SUMMARIES)

    assert response.status_code == 200
    assert [summary["name"] for summary in response.json()] == ["Garden"]


async def test_a_job_that_changes_tasks_makes_the_summaries_stale(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    project = (await client.post("/api/v2/projects", json={"name": "Garden"})).json()
    before = (await client.get(SUMMARIES)).json()  # now in the cache
    resources = resources_of(app)

    async def add_a_task() -> None:
        # What a worker's job does: a unit of work of its own, no request around it.
        async with transaction(resources.session_factory) as session:
            projects = ProjectService(session, actor=user)
            await TaskService(session, projects).create(project["id"], NewTask(title="Dig"))

    resources.broker.register_task(add_a_task, task_name="tests.add_a_task")
    await enqueue(resources.broker, "tests.add_a_task", job_id="add-a-task")
    await wait_for_jobs(app)

    assert [summary["tasks"]["todo"] for summary in before] == [0]
    assert [summary["tasks"]["todo"] for summary in (await client.get(SUMMARIES)).json()] == [1]
