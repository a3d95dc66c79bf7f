"""Projects over HTTP: status codes, bodies, and the owner's view only."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fast_api_template.models import Project, User

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

PROJECTS = "/api/v1/projects"


async def create(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(PROJECTS, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_returns_the_new_project(client: httpx.AsyncClient) -> None:
    response = await client.post(PROJECTS, json={"name": "  Garden ", "description": "Veg"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "description", "archived", "created_at", "updated_at"}
    assert (body["name"], body["description"], body["archived"]) == ("Garden", "Veg", False)
    assert body["created_at"].endswith("Z")


async def test_created_project_can_be_read_back(client: httpx.AsyncClient) -> None:
    created = await create(client, "Garden")

    response = await client.get(f"{PROJECTS}/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


async def test_duplicate_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    await create(client, "Garden")

    response = await client.post(PROJECTS, json={"name": "Garden"})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/problems/duplicate-project-name",
        "title": "Project name already used",
        "status": 409,
        "detail": "You already have a project named 'Garden'.",
        "instance": response.request.url.path,
        "request_id": response.headers["x-request-id"],
    }


async def test_list_pages_and_filters(client: httpx.AsyncClient) -> None:
    for name in ["Garden", "Kitchen", "Greenhouse"]:
        await create(client, name)

    page = (await client.get(PROJECTS, params={"limit": 2, "offset": 1})).json()
    found = (await client.get(PROJECTS, params={"name_contains": "GR"})).json()

    assert [project["name"] for project in page["items"]] == ["Kitchen", "Greenhouse"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [project["name"] for project in found["items"]] == ["Greenhouse"]


async def test_list_filters_by_archived(client: httpx.AsyncClient) -> None:
    old = await create(client, "Old")
    await create(client, "New")
    await client.post(f"{PROJECTS}/{old['id']}/archive")

    archived = (await client.get(PROJECTS, params={"archived": "true"})).json()

    assert [project["name"] for project in archived["items"]] == ["Old"]


async def test_list_defaults(client: httpx.AsyncClient) -> None:
    response = await client.get(PROJECTS)

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    created = await create(client, "Garden", description="Veg")

    response = await client.patch(f"{PROJECTS}/{created['id']}", json={"name": "Orchard"})

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["description"]) == ("Orchard", "Veg")
    assert body["updated_at"] >= created["updated_at"]


async def test_patch_to_a_name_in_use_is_a_conflict(client: httpx.AsyncClient) -> None:
    await create(client, "Garden")
    kitchen = await create(client, "Kitchen")

    response = await client.patch(f"{PROJECTS}/{kitchen['id']}", json={"name": "Garden"})

    assert response.status_code == 409
    assert (await client.get(f"{PROJECTS}/{kitchen['id']}")).json()["name"] == "Kitchen"


async def test_archive(client: httpx.AsyncClient) -> None:
    created = await create(client, "Garden")

    response = await client.post(f"{PROJECTS}/{created['id']}/archive")

    assert response.status_code == 200
    assert response.json()["archived"] is True


async def test_delete_then_not_found(client: httpx.AsyncClient) -> None:
    created = await create(client, "Garden")
    await client.post(f"{PROJECTS}/{created['id']}/tasks", json={"title": "Dig"})

    deleted = await client.delete(f"{PROJECTS}/{created['id']}")
    again = await client.delete(f"{PROJECTS}/{created['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert "content-type" not in deleted.headers  # no body, so no type of one
    assert again.status_code == 404
    assert (await client.get(f"{PROJECTS}/{created['id']}/tasks")).status_code == 404


async def test_projects_of_other_users_are_invisible(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with app.state.resources.session_factory() as session, session.begin():
        stranger = User(email="eve@example.com")
        session.add(stranger)
        await session.flush()
        assert stranger.id is not None
        theirs = Project(name="Secret", owner_id=stranger.id)
        session.add(theirs)
    await create(client, "Mine")

    listed = (await client.get(PROJECTS)).json()
    got = await client.get(f"{PROJECTS}/{theirs.id}")
    patched = await client.patch(f"{PROJECTS}/{theirs.id}", json={"name": "Taken"})
    deleted = await client.delete(f"{PROJECTS}/{theirs.id}")

    assert [project["name"] for project in listed["items"]] == ["Mine"]
    assert [got.status_code, patched.status_code, deleted.status_code] == [404, 404, 404]
    assert got.json()["detail"] == f"There is no project {theirs.id}."


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-name"),
        pytest.param({"name": "   "}, id="blank-name"),
        pytest.param({"name": "x" * 101}, id="long-name"),
        pytest.param({"name": 42}, id="number-name"),
        pytest.param({"name": "a\u0000b"}, id="nul-in-name"),
        pytest.param({"name": "ok", "description": "x" * 2001}, id="long-description"),
        pytest.param({"name": "ok", "owner_id": 2}, id="unknown-field"),
    ],
)
async def test_invalid_project_is_refused(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post(PROJECTS, json=body)

    assert response.status_code == 422
    assert response.json()["errors"]
    assert (await client.get(PROJECTS)).json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": None}, id="null-name"),
        pytest.param({"archived": None}, id="null-archived"),
        pytest.param({"name": ""}, id="empty-name"),
        pytest.param({"archived": "maybe"}, id="not-a-bool"),
    ],
)
async def test_invalid_change_is_refused(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    created = await create(client, "Garden")

    response = await client.patch(f"{PROJECTS}/{created['id']}", json=body)

    assert response.status_code == 422
    assert (await client.get(f"{PROJECTS}/{created['id']}")).json() == created


async def test_text_that_is_not_unicode_is_refused(client: httpx.AsyncClient) -> None:
    # A lone surrogate is valid JSON, but no database can store it.
    response = await client.post(
        PROJECTS,
        content=b'{"name": "a\\ud800b"}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="limit-0"),
        pytest.param({"limit": 101}, id="limit-101"),
        pytest.param({"offset": -1}, id="negative-offset"),
        pytest.param({"offset": 2**63}, id="huge-offset"),
        pytest.param({"archived": "maybe"}, id="archived-not-a-bool"),
        pytest.param({"name_contains": "x" * 101}, id="long-search"),
        pytest.param({"name_contains": "a\u0000"}, id="nul-in-search"),
    ],
)
async def test_invalid_list_parameters_are_refused(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    response = await client.get(PROJECTS, params=params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][0] == "query"


@pytest.mark.parametrize("project_id", ["0", "2147483648", str(2**64)])
async def test_impossible_ids_are_refused_before_the_database(
    client: httpx.AsyncClient, project_id: str
) -> None:
    for method in ["GET", "PATCH", "DELETE"]:
        response = await client.request(method, f"{PROJECTS}/{project_id}", json={})

        assert response.status_code == 422, (method, response.text)


@pytest.mark.parametrize("segment", ["-1", "abc", "1.5", "+1", "summaries"])
async def test_a_segment_that_is_not_a_number_reaches_no_id_route(
    client: httpx.AsyncClient, segment: str
) -> None:
    for method in ["GET", "PATCH", "DELETE"]:
        response = await client.request(method, f"{PROJECTS}/{segment}", json={})

        # No route: not a 422 from an id route that read the segment as an id.
        assert response.status_code == 404, (method, response.text)


async def test_largest_possible_id_is_simply_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PROJECTS}/2147483647")

    assert response.status_code == 404
