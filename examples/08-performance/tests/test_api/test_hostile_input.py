"""Hostile input gets a short 422, never a 500, and never an answer bigger than the question.

The string inputs are read from the app's own OpenAPI document, so a field or a query parameter
added later is checked too, without a line of this file changing.
"""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import add_user
from fastapi import FastAPI

from fast_api_template.models import User
from fast_api_template.schemas.problems import MAX_LISTED_ISSUES

pytestmark = pytest.mark.anyio


@pytest.fixture
async def user(app: FastAPI) -> User:
    """The caller, an administrator: they may call every route, so every input is checked."""
    return await add_user(app, "ada@example.com", is_admin=True)


# The characters that no stored text may hold: NUL breaks PostgreSQL, the rest break
# terminals and logs; a lone surrogate is valid JSON but not valid Unicode text.
BAD_TEXT = {
    "nul": "a\x00b",
    "escape": "a\x1b[31mb",
    "bell": "a\x07b",
    "c1-control": "a\x85b",
    "delete": "a\x7fb",
    "lone-surrogate": "a\ud800b",
}


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref` of the OpenAPI document."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        resolved: dict[str, Any] = document["components"]["schemas"][name]
        return resolved
    return schema


def is_text(schema: dict[str, Any]) -> bool:
    """Whether a schema accepts a string (alone, or in anyOf with null)."""
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "string" and "enum" not in option for option in options)


def text_inputs(document: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """Yield (method, path, where, name) for every free-text input of every operation."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and is_text(parameter["schema"]):
                    yield method.upper(), path, "query", parameter["name"]
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, body in content.items():
                where = "form" if "form" in media_type else "body"
                schema = resolve(body["schema"], document)
                for name, field in schema.get("properties", {}).items():
                    if is_text(field):
                        yield method.upper(), path, where, name


def json_body_operations(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (method, path) for every operation that takes a JSON body."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                yield method.upper(), path


def fill(path: str) -> str:
    """Put an id in every path parameter."""
    return path.replace("{project_id}", "1").replace("{task_id}", "1").replace("{user_id}", "1")


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


async def test_the_app_has_text_inputs_to_check(document: dict[str, Any]) -> None:
    assert len(list(text_inputs(document))) >= 3


@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
async def test_no_text_input_takes_control_characters(
    client: httpx.AsyncClient, document: dict[str, Any], bad: str
) -> None:
    accepted = []
    for method, path, where, name in text_inputs(document):
        if where in {"query", "form"} and "\ud800" in bad:
            # A URL or a form carries bytes, and the server decodes a surrogate's bytes to
            # U+FFFD, which is valid text: only JSON can deliver a lone surrogate.
            continue
        options: dict[str, Any] = {"params": {name: bad}} if where == "query" else {}
        if where == "body":
            # json.dumps keeps a lone surrogate as the escape \\ud800, as a client would.
            options = {
                "content": json.dumps({name: bad}),
                "headers": {"content-type": "application/json"},
            }
        elif where == "form":
            options = {"data": {name: bad}}
        response = await client.request(method, fill(path), **options)
        issues = response.json().get("errors", []) if response.status_code == 422 else []
        # FastAPI locates a form field, like a JSON one, in the body.
        location = ["query" if where == "query" else "body", name]
        if not any(issue["loc"] == location for issue in issues):
            accepted.append(f"{method} {path} {where}.{name}: {response.status_code}")

    assert accepted == []


async def test_a_megabyte_of_unknown_fields_is_one_short_error(
    client: httpx.AsyncClient,
) -> None:
    body = "{" + ",".join(f'"k{number}":0' for number in range(90_000)) + "}"

    response = await client.post(
        "/api/v1/projects", content=body, headers={"content-type": "application/json"}
    )

    assert len(body) > 900_000
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert response.json()["errors"] == [
        {
            "loc": ["body"],
            "msg": "Value error, has 90000 fields that the schema does not declare",
            "type": "value_error",
        }
    ]


async def test_every_json_body_reports_many_unknown_fields_as_one_error(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    # One body schema that forgets to derive from RequestBody would list each field instead.
    count = MAX_LISTED_ISSUES + 1
    body = {f"k{number}": 0 for number in range(count)}
    answers = {}
    for method, path in json_body_operations(document):
        response = await client.request(method, fill(path), json=body)
        answers[f"{method} {path}"] = response.json().get("errors")

    one_error = [
        {
            "loc": ["body"],
            "msg": f"Value error, has {count} fields that the schema does not declare",
            "type": "value_error",
        }
    ]
    assert len(answers) >= 3
    assert answers == dict.fromkeys(answers, one_error)


async def test_many_reasons_are_counted_and_the_first_listed(
    client: httpx.AsyncClient,
) -> None:
    # Exactly as many unknown fields as may be listed, and the name missing: one reason more.
    body = {f"unknown{number}": 0 for number in range(MAX_LISTED_ISSUES)}

    response = await client.post("/api/v1/projects", json=body)

    problem = response.json()
    assert response.status_code == 422
    assert len(problem["errors"]) == MAX_LISTED_ISSUES
    assert problem["more_errors"] == 1
    assert (
        problem["detail"]
        == f"The request has {MAX_LISTED_ISSUES + 1} invalid value(s): see errors."
    )


async def test_a_long_field_name_is_not_sent_back_whole(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/projects", json={"name": "Garden", "x" * 100_000: 1})

    assert response.status_code == 422
    assert len(response.content) < 1_000
    (issue,) = response.json()["errors"]
    assert issue["loc"] == ["body", "x" * 60 + "..."]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/projects/1", {"archived": 0}),
        ("/api/v1/projects/1", {"archived": "true"}),
        ("/api/v1/projects/1/tasks/1", {"done": 1}),
        ("/api/v1/projects/1/tasks/1", {"done": "false"}),
    ],
)
async def test_a_boolean_is_true_or_false_and_nothing_else(
    client: httpx.AsyncClient, path: str, body: dict[str, object]
) -> None:
    project = await client.post("/api/v1/projects", json={"name": "Garden"})
    await client.post(f"/api/v1/projects/{project.json()['id']}/tasks", json={"title": "Dig"})

    response = await client.patch(path, json=body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "bool_type"
