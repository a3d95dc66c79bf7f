"""Tasks over API v2: a status instead of done, and what v1 clients see of it."""

from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


@pytest.fixture
async def project_id(client: httpx.AsyncClient) -> int:
    response = await client.post("/api/v2/projects", json={"name": "Garden"})
    assert response.status_code == 201
    project_id: int = response.json()["id"]
    return project_id


@pytest.fixture
def v1(project_id: int) -> str:
    return f"/api/v1/projects/{project_id}/tasks"


@pytest.fixture
def v2(project_id: int) -> str:
    return f"/api/v2/projects/{project_id}/tasks"


async def add(client: httpx.AsyncClient, url: str, title: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(url, json={"title": title, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_task_has_a_status(client: httpx.AsyncClient, v2: str, project_id: int) -> None:
    task = await add(client, v2, " Dig ")

    assert set(task) == {"id", "project_id", "title", "status", "created_at", "updated_at"}
    assert (task["project_id"], task["title"], task["status"]) == (project_id, "Dig", "todo")


async def test_status_lifecycle(client: httpx.AsyncClient, v2: str) -> None:
    task = await add(client, v2, "Dig", status="doing")
    url = f"{v2}/{task['id']}"

    patched = await client.patch(url, json={"status": "done"})
    read = await client.get(url)
    deleted = await client.delete(url)

    assert task["status"] == "doing"
    assert patched.json()["status"] == "done"
    assert read.json() == patched.json()
    assert deleted.status_code == 204
    assert (await client.get(url)).json()["type"] == "/problems/task-not-found"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": "Dig", "status": "started"}, id="unknown-status"),
        pytest.param({"title": "Dig", "done": True}, id="v1-field"),
    ],
)
async def test_invalid_task_is_refused(client: httpx.AsyncClient, v2: str, body: Any) -> None:
    response = await client.post(v2, json=body)

    assert response.status_code == 422


async def test_status_may_not_be_null(client: httpx.AsyncClient, v2: str) -> None:
    task = await add(client, v2, "Dig")

    response = await client.patch(f"{v2}/{task['id']}", json={"status": None})

    assert response.status_code == 422


async def test_list_filters_by_status_on_every_page(client: httpx.AsyncClient, v2: str) -> None:
    for number, status in enumerate(["todo", "doing", "doing", "done", "doing"]):
        await add(client, v2, f"T{number}", status=status)

    first = (await client.get(v2, params={"status": "doing", "limit": 2})).json()
    second = (
        await client.get(v2, params={"status": "doing", "limit": 2, "cursor": first["next_cursor"]})
    ).json()

    assert [task["title"] for task in first["items"]] == ["T1", "T2"]
    assert [task["title"] for task in second["items"]] == ["T4"]
    assert second["next_cursor"] is None


async def test_a_cursor_works_only_on_its_own_list(client: httpx.AsyncClient, v2: str) -> None:
    for number in range(2):
        await add(client, v2, f"T{number}")
    cursor = (await client.get(v2, params={"limit": 1})).json()["next_cursor"]
    other = (await client.post("/api/v2/projects", json={"name": "Kitchen"})).json()

    on_other_tasks = await client.get(
        f"/api/v2/projects/{other['id']}/tasks", params={"cursor": cursor}
    )
    on_projects = await client.get("/api/v2/projects", params={"cursor": cursor})

    assert on_other_tasks.status_code == 400
    assert on_projects.status_code == 400
    assert on_projects.json()["detail"] == "The cursor belongs to another list."


# v1 clients see the same tasks through `done`.


@pytest.mark.parametrize(("status", "done"), [("todo", False), ("doing", False), ("done", True)])
async def test_v1_sees_done_only_for_done(
    client: httpx.AsyncClient, v1: str, v2: str, status: str, done: bool
) -> None:
    task = await add(client, v2, "Dig", status=status)

    seen = (await client.get(f"{v1}/{task['id']}")).json()

    assert seen["done"] is done
    assert "status" not in seen


@pytest.mark.parametrize(
    ("before", "done", "after"),
    [
        pytest.param("todo", True, "done", id="finish"),
        pytest.param("doing", True, "done", id="finish-in-progress"),
        pytest.param("done", False, "todo", id="reopen"),
        # Not done already: v1 cannot tell todo from doing, so it must not erase the difference.
        pytest.param("doing", False, "doing", id="keeps-in-progress"),
        pytest.param("todo", False, "todo", id="no-change"),
    ],
)
async def test_v1_done_maps_to_a_status(
    client: httpx.AsyncClient, v1: str, v2: str, before: str, done: bool, after: str
) -> None:
    task = await add(client, v2, "Dig", status=before)

    patched = await client.patch(f"{v1}/{task['id']}", json={"done": done})

    assert patched.json()["done"] is done
    assert (await client.get(f"{v2}/{task['id']}")).json()["status"] == after


async def test_v1_done_filter_counts_doing_as_open(
    client: httpx.AsyncClient, v1: str, v2: str
) -> None:
    for status in ["todo", "doing", "done"]:
        await add(client, v2, status, status=status)

    open_ = (await client.get(v1, params={"done": False})).json()
    done = (await client.get(v1, params={"done": True})).json()

    assert [task["title"] for task in open_["items"]] == ["todo", "doing"]
    assert [task["title"] for task in done["items"]] == ["done"]


async def test_a_task_made_in_v1_has_a_status_in_v2(
    client: httpx.AsyncClient, v1: str, v2: str
) -> None:
    task = await add(client, v1, "Dig", done=True)

    assert (await client.get(f"{v2}/{task['id']}")).json()["status"] == "done"
