"""Project summaries over HTTP: correct, and fresh again as soon as a write commits."""

import httpx
import pytest

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
    # /projects/summaries comes before /projects/{project_id}, which would answer 422.
    assert (await client.get(SUMMARIES)).status_code == 200


@pytest.mark.parametrize("limit", ["0", "101", "many"])
async def test_the_limit_is_bounded(client: httpx.AsyncClient, limit: str) -> None:
    response = await client.get(SUMMARIES, params={"limit": limit})

    assert response.status_code == 422
