"""Every response carries the browser security headers; CORS follows the settings."""

from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import AppFactory, make_client, production_settings
from fastapi.testclient import TestClient

from fast_api_template.api.deps import ClientAddress
from fast_api_template.app import create_app
from fast_api_template.config import AppSettings, CorsSettings, Settings
from fast_api_template.core.headers import API_CSP, DOCS_CSP

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/health", id="success"),
        pytest.param("/api/v2/projects", id="401"),
        pytest.param("/api/v2/nothing-here", id="404"),
        pytest.param("/api/v1/openapi.json", id="document"),
    ],
)
async def test_api_responses_carry_the_security_headers(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    headers = (await anonymous.get(path)).headers

    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == API_CSP
    assert "strict-transport-security" not in headers


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/api/v1/docs", "/api/v2/docs"])
async def test_docs_pages_get_a_policy_that_lets_them_run(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    response = await anonymous.get(path)

    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert policy == DOCS_CSP
    # Swagger UI and ReDoc load their code from this CDN, and start it with an inline script.
    assert "https://cdn.jsdelivr.net" in response.text
    assert "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy


def test_hsts_only_in_production() -> None:
    # Without the lifespan: /health needs no database, and nothing listens on port 9.
    response = TestClient(create_app(production_settings())).get("/health")

    assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization",
}


def test_cors_preflight_honours_the_settings(settings: Settings) -> None:
    settings.cors = CorsSettings(allow_origins=["https://app.example.com"])
    client = TestClient(create_app(settings))

    allowed = client.options(
        "/api/v2/projects", headers={"Origin": "https://app.example.com", **PREFLIGHT}
    )
    refused = client.options(
        "/api/v2/projects", headers={"Origin": "https://evil.example", **PREFLIGHT}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    # Bearer tokens, not cookies: browsers are never told to send credentials.
    assert "access-control-allow-credentials" not in allowed.headers
    assert allowed.headers["x-content-type-options"] == "nosniff"
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


async def test_no_cross_origin_calls_by_default(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.options(
        "/api/v2/projects", headers={"Origin": "https://app.example.com", **PREFLIGHT}
    )

    assert "access-control-allow-origin" not in response.headers


async def test_every_answer_carries_every_header_a_bug_included(
    make_app: AppFactory, settings: Settings
) -> None:
    settings.cors = CorsSettings(allow_origins=["https://app.example.com"])
    settings.app.max_body_size = 64
    app = await make_app(settings)

    @app.get("/api/v1/test/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals")

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "' + b"x" * 100 + b'"}'

    origin = {"Origin": "https://app.example.com"}
    large = {**origin, "content-type": "application/json"}
    async with make_client(app) as client:
        answers = {
            "500": await client.get("/api/v1/test/bug", headers=origin),
            "405": await client.put("/api/v1/projects", headers=origin),
            "401": await client.get("/api/v1/projects", headers=origin),
            "413": await client.post("/api/v1/users", content=b"x" * 100, headers=large),
            "413 chunked": await client.post("/api/v1/users", content=chunks(), headers=large),
        }

    for status, answer in answers.items():
        assert str(answer.status_code) == status.split()[0], status
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["x-request-id"], status
        assert answer.headers["content-security-policy"] == API_CSP, status
        assert answer.headers["x-content-type-options"] == "nosniff", status
        assert answer.headers["access-control-allow-origin"] == origin["Origin"], status
        assert "deprecation" in answer.headers, status
    assert "secret internals" not in answers["500"].text


async def test_an_answer_to_credentials_is_never_cached(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    mine = await client.get("/api/v2/users/me")
    refused = await anonymous.get("/api/v2/users/me", headers={"Authorization": "Bearer x"})
    public = await anonymous.get("/health")

    assert mine.headers["cache-control"] == "no-store"
    assert refused.headers["cache-control"] == "no-store"
    assert "cache-control" not in public.headers


@pytest.mark.parametrize(
    ("trusted", "peer", "seen"),
    [
        pytest.param([], "10.0.0.9", "10.0.0.9", id="no-proxy-trusted"),
        pytest.param(["10.0.0.9"], "10.0.0.9", "203.0.113.7", id="trusted-proxy"),
        pytest.param(["10.0.0.0/8"], "10.1.2.3", "203.0.113.7", id="trusted-network"),
        pytest.param(["10.0.0.9"], "10.0.0.8", "10.0.0.8", id="untrusted-peer"),
    ],
)
async def test_the_client_address_comes_from_trusted_proxies_only(
    make_app: AppFactory, settings: Settings, trusted: list[str], peer: str, seen: str
) -> None:
    settings.app.trusted_proxies = trusted
    app = await make_app(settings)

    @app.get("/test/address")
    async def address(client_address: ClientAddress) -> str:
        return client_address

    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/test/address", headers={"X-Forwarded-For": "203.0.113.7"})

    assert response.json() == seen


DOCS = ["/docs", "/redoc", "/openapi.json", "/api/v1/docs", "/api/v2/docs", "/api/v1/openapi.json"]


@pytest.mark.parametrize("path", DOCS)
async def test_docs_are_closed_in_production_unless_opened(path: str) -> None:
    settings = production_settings()
    opened = settings.model_copy(update={"app": AppSettings(public_docs=True)})

    async with make_client(create_app(settings)) as closed_client:
        closed = await closed_client.get(path)
    async with make_client(create_app(opened)) as opened_client:
        served = await opened_client.get(path)

    assert closed.status_code == 404
    assert served.status_code == 200
