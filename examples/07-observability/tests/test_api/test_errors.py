"""Every error response has the same body, whatever raised it."""

import httpx
import pytest

pytestmark = pytest.mark.anyio

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


async def test_unknown_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Not Found",
        "instance": response.request.url.path,
        "request_id": response.headers["x-request-id"],
    }


async def test_wrong_method_keeps_its_allow_header(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/projects")

    assert response.status_code == 405
    assert "allow" in response.headers
    assert response.json()["title"] == "Method Not Allowed"


async def test_invalid_request_lists_every_reason(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/projects", params={"limit": 0, "offset": -1})

    assert response.status_code == 422
    body = response.json()
    assert set(body) == {*PROBLEM_KEYS, "errors"}
    assert body["type"] == "/problems/invalid-request"
    assert [error["loc"] for error in body["errors"]] == [["query", "limit"], ["query", "offset"]]


async def test_malformed_json_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/projects", content=b"{", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "json_invalid"


async def test_domain_errors_have_the_same_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/projects/1")

    assert response.status_code == 404
    assert set(response.json()) == PROBLEM_KEYS


async def test_openapi_documents_the_problem_body(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    create = schema["paths"]["/api/v1/projects"]["post"]["responses"]

    assert set(create) == {"201", "401", "404", "409", "422"}
    assert create["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert "HTTPValidationError" not in schema["components"]["schemas"]
