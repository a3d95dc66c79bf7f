"""v1 and v2 side by side: v1 says it is deprecated, and each version has its own document."""

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from fast_api_template.api.versioning import api_routes
from fast_api_template.app import create_app
from fast_api_template.config import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

DEPRECATION_HEADERS = {"deprecation", "sunset", "link"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/api/v1/projects", 200, id="success"),
        pytest.param("POST", "/api/v1/projects", 422, id="invalid-request"),
        pytest.param("GET", "/api/v1/projects/7", 404, id="domain-error"),
        pytest.param("GET", "/api/v1/nothing-here", 404, id="unknown-route"),
        pytest.param("GET", "/api/v1/openapi.json", 200, id="document"),
    ],
)
async def test_every_v1_response_is_marked_deprecated(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    assert response.status_code == status
    # RFC 9745: a structured-field date, @ and the Unix time of the default 2026-11-01.
    assert response.headers["deprecation"] == "@1793491200"
    # RFC 8594: an HTTP-date.
    assert response.headers["sunset"] == "Mon, 01 Nov 2027 00:00:00 GMT"
    successor = path.replace("/api/v1", "/api/v2", 1)
    assert response.headers["link"] == f'<{successor}>; rel="successor-version"'


async def test_the_dates_come_from_the_settings(settings: Settings) -> None:
    deprecated_at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    settings.api.v1_deprecated_at = deprecated_at
    settings.api.v1_sunset_at = datetime(2031, 6, 30, tzinfo=UTC)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)

    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/v1/nothing-here")

    assert (
        response.headers["deprecation"]
        == f"@{int(datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp())}"
    )
    assert response.headers["sunset"] == "Mon, 30 Jun 2031 00:00:00 GMT"


@pytest.mark.parametrize(
    "path", ["/api/v2/projects", "/api/v2/projects/7", "/api/v2/openapi.json", "/health"]
)
async def test_v2_and_the_rest_are_not_deprecated(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert not DEPRECATION_HEADERS & set(response.headers)


async def test_a_prefix_match_is_a_path_match(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v10/projects")

    assert response.status_code == 404
    assert "deprecation" not in response.headers


async def test_any_character_in_a_path_gets_a_percent_encoded_link(
    client: httpx.AsyncClient,
) -> None:
    # A header is latin-1: an unencoded "Ā" in the path once made the middleware fail, a 500.
    response = await client.get("/api/v1/projects/%C4%80")

    assert response.status_code == 404
    assert response.headers["link"] == '</api/v2/projects/%C4%80>; rel="successor-version"'


# One OpenAPI document per version


async def document(client: httpx.AsyncClient, version: str) -> dict[str, object]:
    response = await client.get(f"/api/{version}/openapi.json")
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize(("version", "other"), [("v1", "v2"), ("v2", "v1")])
async def test_each_version_documents_only_itself(
    client: httpx.AsyncClient, version: str, other: str
) -> None:
    schema = await document(client, version)
    paths = schema["paths"]
    assert isinstance(paths, dict)

    assert paths
    assert all(path.startswith(f"/api/{version}/") for path in paths)
    assert not any(f"/api/{other}/" in path for path in paths)
    assert schema["info"] == {"title": f"fast_api_template {version}", "version": "0.1.0"}


async def test_each_document_lists_every_route_of_its_version(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for version in ("v1", "v2"):
        paths = (await document(client, version))["paths"]
        assert isinstance(paths, dict)
        documented = {(method.upper(), path) for path, item in paths.items() for method in item}
        served = {
            (method, route.path_format)
            for route in api_routes(app)
            if route.path and route.path.startswith(f"/api/{version}/") and route.include_in_schema
            for method in route.methods or ()
        }
        assert documented == served


async def test_v1_operations_are_deprecated_and_v2_are_not(client: httpx.AsyncClient) -> None:
    def deprecated(schema: dict[str, object]) -> set[bool]:
        paths = schema["paths"]
        assert isinstance(paths, dict)
        return {op.get("deprecated", False) for item in paths.values() for op in item.values()}

    assert deprecated(await document(client, "v1")) == {True}
    assert deprecated(await document(client, "v2")) == {False}


async def test_v2_documents_status_and_cursor(client: httpx.AsyncClient) -> None:
    schema = await document(client, "v2")
    components = schema["components"]
    assert isinstance(components, dict)

    assert "status" in components["schemas"]["TaskRead"]["properties"]
    assert "done" not in components["schemas"]["TaskRead"]["properties"]
    assert "CursorPage_TaskRead_" in components["schemas"]


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_each_version_has_a_docs_page(client: httpx.AsyncClient, version: str) -> None:
    response = await client.get(f"/api/{version}/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f"/api/{version}/openapi.json" in response.text


async def test_the_app_document_still_has_everything(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert {"/health", "/api/v1/projects", "/api/v2/projects"} <= set(paths)
