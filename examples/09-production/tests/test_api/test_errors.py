"""Every error response has the same body, whatever raised it."""

import httpx
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

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


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/projects", "GET, POST"),
        ("/api/v1/projects/1", "DELETE, GET, PATCH"),
        ("/health", "GET, HEAD"),
    ],
)
async def test_a_wrong_method_is_told_every_method_of_the_path(
    client: httpx.AsyncClient, path: str, allowed: str
) -> None:
    response = await client.put(path)

    assert response.status_code == 405
    assert response.headers["allow"] == allowed
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

    assert set(create) == {"201", "400", "401", "404", "409", "413", "422", "503"}
    assert create["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "HTTPValidationError" not in schema["components"]["schemas"]


async def test_openapi_says_problem_json_for_every_error_it_lists(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    errors = {
        f"{method.upper()} {path} {status}": response
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if int(status) >= 400
    }

    assert errors
    assert {
        name
        for name, error in errors.items()
        if "application/problem+json" not in error.get("content", {})
    } == set()
    assert {
        name for name, error in errors.items() if "application/json" in error.get("content", {})
    } == set()


async def test_every_api_operation_documents_503_and_every_body_400(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    operations = [
        (path, operation)
        for path, methods in schema["paths"].items()
        if path.startswith("/api/")
        for operation in methods.values()
    ]

    assert all("503" in operation["responses"] for _, operation in operations)
    assert all(
        "400" in operation["responses"] for _, operation in operations if "requestBody" in operation
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"name": "\xff\xfe"}', id="not-utf-8"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-too-deep"),
    ],
)
async def test_an_unreadable_body_is_a_bad_request(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/api/v1/projects", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
