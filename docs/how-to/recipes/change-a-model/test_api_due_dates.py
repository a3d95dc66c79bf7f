"""Due dates over HTTP: v2 shows and takes them, as days only; v1 does not know them."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from acme_api.api.deps import get_clock

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock(app: FastAPI) -> None:
    """Today is 6 December 2026 for these tests; the app fixture undoes it after each one."""
    app.dependency_overrides[get_clock] = lambda: lambda: NOW


@pytest.fixture
async def project_id(client: httpx.AsyncClient) -> int:
    response = await client.post("/api/v2/projects", json={"name": "Garden"})
    assert response.status_code == 201
    project_id: int = response.json()["id"]
    return project_id


@pytest.fixture
def v2(project_id: int) -> str:
    return f"/api/v2/projects/{project_id}/tasks"


async def add(client: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(url, json={"title": "Dig", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_task_has_a_due_date_or_none(client: httpx.AsyncClient, v2: str) -> None:
    dated = await add(client, v2, due_date="2026-12-24")
    undated = await add(client, v2)

    assert dated["due_date"] == "2026-12-24"
    assert undated["due_date"] is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(1767139200, id="seconds-since-1970"),
        pytest.param("1767139200", id="seconds-as-text"),
        pytest.param("2026-12-24T00:00:00", id="a-datetime"),
        pytest.param("24/12/2026", id="another-format"),
        pytest.param("2026-02-30", id="no-such-day"),
    ],
)
async def test_only_a_day_is_a_due_date(client: httpx.AsyncClient, v2: str, value: object) -> None:
    response = await client.post(v2, json={"title": "Dig", "due_date": value})

    assert response.status_code == 422


async def test_a_past_day_is_a_bad_request(client: httpx.AsyncClient, v2: str) -> None:
    response = await client.post(v2, json={"title": "Dig", "due_date": "2026-12-05"})

    assert response.status_code == 400
    assert response.json()["type"] == "/problems/due-date-in-the-past"


async def test_a_patch_keeps_clears_or_sets_it(client: httpx.AsyncClient, v2: str) -> None:
    task = await add(client, v2, due_date="2026-12-24")
    url = f"{v2}/{task['id']}"

    kept = (await client.patch(url, json={"title": "Dig deeper"})).json()
    cleared = (await client.patch(url, json={"due_date": None})).json()
    moved = (await client.patch(url, json={"due_date": "2027-01-02"})).json()

    assert kept["due_date"] == "2026-12-24"
    assert cleared["due_date"] is None
    assert moved["due_date"] == "2027-01-02"


async def test_the_list_filters_by_due_date_on_every_page(
    client: httpx.AsyncClient, v2: str
) -> None:
    for day in ["2026-12-24", None, "2026-12-07", "2027-03-01", "2026-12-31"]:
        await add(client, v2, due_date=day)
    query: dict[str, str | int] = {"due_before": "2027-01-01", "limit": 2}

    first = (await client.get(v2, params=query)).json()
    second = (await client.get(v2, params={**query, "cursor": first["next_cursor"]})).json()
    bad = await client.get(v2, params={"due_before": "1767139200"})

    assert [task["due_date"] for task in first["items"]] == ["2026-12-24", "2026-12-07"]
    assert [task["due_date"] for task in second["items"]] == ["2026-12-31"]
    assert second["next_cursor"] is None
    assert bad.status_code == 422


async def test_v1_neither_shows_nor_takes_it(
    client: httpx.AsyncClient, v2: str, project_id: int
) -> None:
    task = await add(client, v2, due_date="2026-12-24")
    v1 = f"/api/v1/projects/{project_id}/tasks"

    seen = (await client.get(f"{v1}/{task['id']}")).json()
    sent = await client.post(v1, json={"title": "Dig", "due_date": "2026-12-24"})

    assert "due_date" not in seen
    assert sent.status_code == 422
