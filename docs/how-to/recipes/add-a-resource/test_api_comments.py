"""Comments over HTTP: on a task of a project you may see, in pages, and nowhere else."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from acme_api.models import User

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

UserFactory = Callable[..., Awaitable[User]]
HeadersFactory = Callable[[User], dict[str, str]]


@pytest.fixture
async def comments(client: httpx.AsyncClient) -> str:
    project = (await client.post("/api/v2/projects", json={"name": "Garden"})).json()
    url = f"/api/v2/projects/{project['id']}/tasks"
    task = (await client.post(url, json={"title": "Dig"})).json()
    return f"{url}/{task['id']}/comments"


async def add(client: httpx.AsyncClient, url: str, body: str) -> dict[str, Any]:
    response = await client.post(url, json={"body": body})
    assert response.status_code == 201, response.text
    comment: dict[str, Any] = response.json()
    return comment


async def test_a_comment_names_its_task_and_author(
    client: httpx.AsyncClient, comments: str, user: User
) -> None:
    comment = await add(client, comments, "  Deeper, please  ")

    assert set(comment) == {"id", "task_id", "author_id", "body", "created_at"}
    assert (comment["body"], comment["author_id"]) == ("Deeper, please", user.id)


async def test_the_list_pages_oldest_first(client: httpx.AsyncClient, comments: str) -> None:
    for number in range(3):
        await add(client, comments, f"C{number}")

    first = (await client.get(comments, params={"limit": 2})).json()
    second = (await client.get(comments, params={"cursor": first["next_cursor"]})).json()

    assert [comment["body"] for comment in first["items"]] == ["C0", "C1"]
    assert [comment["body"] for comment in second["items"]] == ["C2"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001, "bell\x07"])
async def test_an_empty_long_or_unstorable_body_is_refused(
    client: httpx.AsyncClient, comments: str, body: str
) -> None:
    response = await client.post(comments, json={"body": body})

    assert response.status_code == 422


async def test_a_stranger_sees_no_such_task(
    comments: str,
    anonymous: httpx.AsyncClient,
    make_user: UserFactory,
    auth_headers: HeadersFactory,
) -> None:
    stranger = auth_headers(await make_user("eve@example.com"))

    listed = await anonymous.get(comments, headers=stranger)
    written = await anonymous.post(comments, json={"body": "Hi"}, headers=stranger)

    assert (listed.status_code, written.status_code) == (404, 404)
    assert written.json()["type"] == "/problems/project-not-found"


async def test_a_deleted_task_takes_its_comments(client: httpx.AsyncClient, comments: str) -> None:
    await add(client, comments, "Soon gone")
    task = comments.removesuffix("/comments")

    deleted = await client.delete(task)
    listed = await client.get(comments)

    assert deleted.status_code == 204
    assert listed.json()["type"] == "/problems/task-not-found"
