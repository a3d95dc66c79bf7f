"""Every error is problem details (RFC 9457) with the request id, whatever raised it."""

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import AppFactory
from failing_routes import add_failing_routes
from fastapi import FastAPI
from problem_checks import assert_problem

from fast_api_template.app import create_app
from fast_api_template.config import Environment, Settings
from fast_api_template.core.errors import ConflictError

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

JSON = {"content-type": "application/json"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings, with a small body limit and one failed login allowed."""
    app = settings.app.model_copy(update={"max_body_size": 64})
    security = settings.security.model_copy(update={"login_attempts": 1})
    return settings.model_copy(update={"app": app, "security": security})


@pytest.fixture
async def app(make_app: AppFactory, settings: Settings) -> FastAPI:
    """An app of this module's own: it has the failing routes too."""
    return add_failing_routes(await make_app(settings))


@pytest.fixture
def routes(app: FastAPI) -> FastAPI:
    return app


@pytest.mark.usefixtures("routes")
async def test_validation_error_lists_fields_not_values(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/test/items", json={"name": ["s3cr3t"]})

    body = assert_problem(response, 422)
    assert body["errors"] == [
        {"loc": ["body", "name"], "msg": "Input should be a valid string", "type": "string_type"}
    ]
    assert "s3cr3t" not in response.text


@pytest.mark.usefixtures("routes")
async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/items", content=b"{not json", headers=JSON)

    body = assert_problem(response, 422)
    assert body["errors"][0]["type"] == "json_invalid"


@pytest.mark.usefixtures("routes")
async def test_domain_error_keeps_its_status_and_title(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/test/conflict"), 409)

    assert body["title"] == ConflictError.title
    assert body["detail"] == "An item with this name exists."


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/nowhere"), 404)

    assert body["title"] == "Not Found"


async def test_unknown_method_is_405_and_keeps_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")

    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD"


async def test_401_keeps_www_authenticate(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/v1/projects")

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_429_keeps_retry_after(anonymous: httpx.AsyncClient) -> None:
    form = {"username": "nobody@example.com", "password": "not-the-password"}

    first = await anonymous.post("/api/v1/auth/token", data=form)
    second = await anonymous.post("/api/v1/auth/token", data=form)

    assert_problem(first, 401)
    assert_problem(second, 429)
    assert int(second.headers["retry-after"]) > 0


@pytest.mark.usefixtures("routes")
async def test_declared_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/items", content=b"x" * 65, headers=JSON)

    body = assert_problem(response, 413)
    assert body["detail"] == "The request body is larger than 64 bytes."


@pytest.mark.usefixtures("routes")
async def test_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b'{"name": "', b"x" * 64, b'"}'):
            yield chunk

    response = await client.post("/test/items", content=chunks(), headers=JSON)

    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


@pytest.mark.usefixtures("routes")
async def test_body_within_the_limit_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/items", json={"name": "x" * 40})

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("env", "shown"),
    [(Environment.PROD, False), (Environment.TEST, False), (Environment.DEV, True)],
)
async def test_500_shows_internals_in_dev_only(env: Environment, shown: bool) -> None:
    # What prod accepts (PostgreSQL, Redis, a random key); nothing listens on port 9.
    settings = Settings(
        env=env,
        database={"url": "postgresql+asyncpg://app:pw@127.0.0.1:9/app"},
        redis={"url": "redis://:pw@127.0.0.1:9/0"},
        security={"secret_key": secrets.token_urlsafe(32)},
    )
    app = add_failing_routes(create_app(settings))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/test/bug")

    body = assert_problem(response, 500)
    assert "Traceback" not in response.text
    if shown:
        assert body["detail"] == "RuntimeError: secret internals"
    else:
        assert body["detail"].startswith("An unexpected error occurred.")
        assert "secret internals" not in response.text


async def test_any_character_in_a_path_gets_a_problem_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    # Found by the schema fuzz test: v1's Link header once failed on non-latin-1 paths.
    response = await client.get("/api/v1/projects/%C4%80")

    assert_problem(response, 404)
    assert response.headers["link"] == '</api/v2/projects/%C4%80>; rel="successor-version"'
