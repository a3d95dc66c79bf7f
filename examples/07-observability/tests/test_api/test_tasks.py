"""Tasks over HTTP, always inside one of the caller's projects."""

from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

PROJECTS = "/api/v1/projects"


@pytest.fixture
async def tasks_url(client: httpx.AsyncClient) -> str:
    response = await client.post(PROJECTS, json={"name": "Garden"})
    assert response.status_code == 201
    return f"{PROJECTS}/{response.json()['id']}/tasks"


async def add(client: httpx.AsyncClient, tasks_url: str, title: str, **fields: Any) -> Any:
    response = await client.post(tasks_url, json={"title": title, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_returns_the_new_task(client: httpx.AsyncClient, tasks_url: str) -> None:
    response = await client.post(tasks_url, json={"title": " Dig "})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "project_id", "title", "done", "created_at", "updated_at"}
    assert (body["title"], body["done"]) == ("Dig", False)
    assert tasks_url == f"{PROJECTS}/{body['project_id']}/tasks"


async def test_task_lifecycle(client: httpx.AsyncClient, tasks_url: str) -> None:
    task = await add(client, tasks_url, "Dig")
    url = f"{tasks_url}/{task['id']}"

    patched = await client.patch(url, json={"done": True})
    read = await client.get(url)
    deleted = await client.delete(url)
    gone = await client.get(url)

    assert patched.status_code == 200
    assert patched.json()["done"] is True
    assert read.json() == patched.json()
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.json()["type"] == "/problems/task-not-found"


async def test_list_pages_and_filters_by_done(client: httpx.AsyncClient, tasks_url: str) -> None:
    for number in range(3):
        await add(client, tasks_url, f"Task {number}", done=number == 1)

    page = (await client.get(tasks_url, params={"limit": 2})).json()
    done = (await client.get(tasks_url, params={"done": True})).json()

    assert [task["title"] for task in page["items"]] == ["Task 0", "Task 1"]
    assert page["total"] == 3
    assert [task["title"] for task in done["items"]] == ["Task 1"]


async def test_archived_project_takes_no_new_task(
    client: httpx.AsyncClient, tasks_url: str
) -> None:
    await client.post(tasks_url.removesuffix("/tasks") + "/archive")

    response = await client.post(tasks_url, json={"title": "Dig"})

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/project-archived"
    assert (await client.get(tasks_url)).json()["total"] == 0


async def test_unknown_project_has_no_tasks(client: httpx.AsyncClient) -> None:
    listed = await client.get(f"{PROJECTS}/999/tasks")
    created = await client.post(f"{PROJECTS}/999/tasks", json={"title": "Dig"})

    assert (listed.status_code, created.status_code) == (404, 404)
    assert created.json()["type"] == "/problems/project-not-found"


async def test_a_task_is_reached_only_through_its_project(
    client: httpx.AsyncClient, tasks_url: str
) -> None:
    task = await add(client, tasks_url, "Dig")
    other = (await client.post(PROJECTS, json={"name": "Kitchen"})).json()

    response = await client.get(f"{PROJECTS}/{other['id']}/tasks/{task['id']}")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-title"),
        pytest.param({"title": ""}, id="empty-title"),
        pytest.param({"title": "x" * 201}, id="long-title"),
        pytest.param({"title": "Dig", "done": "maybe"}, id="not-a-bool"),
        pytest.param({"title": "Dig", "project_id": 2}, id="unknown-field"),
    ],
)
async def test_invalid_task_is_refused(
    client: httpx.AsyncClient, tasks_url: str, body: dict[str, Any]
) -> None:
    response = await client.post(tasks_url, json=body)

    assert response.status_code == 422


@pytest.mark.parametrize("body", [{"title": None}, {"done": None}, {"title": "  "}])
async def test_invalid_change_is_refused(
    client: httpx.AsyncClient, tasks_url: str, body: dict[str, Any]
) -> None:
    task = await add(client, tasks_url, "Dig")

    response = await client.patch(f"{tasks_url}/{task['id']}", json=body)

    assert response.status_code == 422


@pytest.mark.parametrize(("task_id", "status"), [("0", 422), (str(2**64), 422), ("abc", 404)])
async def test_impossible_task_ids_are_refused(
    client: httpx.AsyncClient, tasks_url: str, task_id: str, status: int
) -> None:
    response = await client.get(f"{tasks_url}/{task_id}")

    # Out of range: a 422 from the route. Not a number: no route at all.
    assert response.status_code == status
