"""Projects over API v2: the v1 contract, with a cursor instead of an offset on the list."""

import base64
import json
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

PROJECTS = "/api/v2/projects"


async def create(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(PROJECTS, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def walk(client: httpx.AsyncClient, url: str, **params: Any) -> list[list[str]]:
    """Follow next_cursor from the first page to the last; return the names per page."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = params if cursor is None else {**params, "cursor": cursor}
        response = await client.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append([item.get("name") or item["title"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_create_and_read_as_in_v1(client: httpx.AsyncClient) -> None:
    created = await create(client, " Garden ", description="Veg")

    read = await client.get(f"{PROJECTS}/{created['id']}")

    assert set(created) == {"id", "name", "description", "archived", "created_at", "updated_at"}
    assert created["name"] == "Garden"
    assert read.json() == created


async def test_the_cursor_walks_every_project_once(client: httpx.AsyncClient) -> None:
    for number in range(5):
        await create(client, f"P{number}")

    pages = await walk(client, PROJECTS, limit=2)

    assert pages == [["P0", "P1"], ["P2", "P3"], ["P4"]]


async def test_a_full_last_page_has_no_next_cursor(client: httpx.AsyncClient) -> None:
    for number in range(4):
        await create(client, f"P{number}")

    assert await walk(client, PROJECTS, limit=2) == [["P0", "P1"], ["P2", "P3"]]


async def test_empty_list(client: httpx.AsyncClient) -> None:
    response = await client.get(PROJECTS)

    assert response.json() == {"items": [], "next_cursor": None}


async def test_a_cursor_survives_deletions_before_it(client: httpx.AsyncClient) -> None:
    # An offset would skip a project here; a position does not move.
    created = [await create(client, f"P{number}") for number in range(4)]
    first = (await client.get(PROJECTS, params={"limit": 2})).json()

    await client.delete(f"{PROJECTS}/{created[0]['id']}")
    second = await client.get(PROJECTS, params={"limit": 2, "cursor": first["next_cursor"]})

    assert [project["name"] for project in second.json()["items"]] == ["P2", "P3"]


async def test_filters_apply_to_every_page(client: httpx.AsyncClient) -> None:
    for name in ["Grass", "Kitchen", "Green", "Grove", "Hall"]:
        await create(client, name)

    assert await walk(client, PROJECTS, limit=2, name_contains="gr") == [
        ["Grass", "Green"],
        ["Grove"],
    ]


def edit(cursor: str, **changes: Any) -> str:
    payload, signature = cursor.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited = json.dumps({**data, **changes}).encode()
    return f"{base64.urlsafe_b64encode(edited).rstrip(b'=').decode()}.{signature}"


@pytest.mark.parametrize(
    "make_cursor",
    [
        pytest.param(lambda cursor: edit(cursor, id=1), id="edited"),
        pytest.param(lambda cursor: cursor[:-2], id="cut"),
        pytest.param(lambda _: "not-a-cursor", id="garbage"),
        pytest.param(lambda _: "a.b.c", id="three-parts"),
    ],
)
async def test_a_tampered_cursor_is_a_bad_request(
    client: httpx.AsyncClient, make_cursor: Any
) -> None:
    for number in range(3):
        await create(client, f"P{number}")
    cursor = (await client.get(PROJECTS, params={"limit": 1})).json()["next_cursor"]

    response = await client.get(PROJECTS, params={"cursor": make_cursor(cursor)})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invalid-cursor"


async def test_an_overlong_cursor_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.get(PROJECTS, params={"cursor": "x" * 501})

    assert response.status_code == 422


@pytest.mark.parametrize("path", [PROJECTS, "/api/v2/projects/1/tasks"])
async def test_an_empty_cursor_is_an_invalid_request_as_its_schema_says(
    client: httpx.AsyncClient, path: str
) -> None:
    await create(client, "P0")  # project 1, so that the tasks list exists
    document = (await client.get("/api/v2/openapi.json")).json()
    template = path.replace("/1/", "/{project_id}/")
    parameters = document["paths"][template]["get"]["parameters"]
    cursor = next(parameter for parameter in parameters if parameter["name"] == "cursor")

    response = await client.get(path, params={"cursor": ""})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]
    assert cursor["schema"]["anyOf"][0]["minLength"] == 1


async def test_v2_has_no_offset_pagination(client: httpx.AsyncClient) -> None:
    for number in range(3):
        await create(client, f"P{number}")

    response = await client.get(PROJECTS, params={"offset": 2})

    assert [project["name"] for project in response.json()["items"]] == ["P0", "P1", "P2"]


async def test_v1_and_v2_show_the_same_projects(client: httpx.AsyncClient) -> None:
    made_in_v2 = await create(client, "Garden")

    in_v1 = await client.get(f"/api/v1/projects/{made_in_v2['id']}")

    assert in_v1.json() == made_in_v2
