"""Every response carries the browser security headers; CORS follows the settings."""

import httpx
import pytest
from fastapi.testclient import TestClient

from fast_api_template.app import create_app
from fast_api_template.config import CorsSettings, Environment, Settings
from fast_api_template.core.headers import API_CSP, DOCS_CSP

pytestmark = pytest.mark.anyio


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
    production = Settings(
        env=Environment.PROD,
        database={"url": "postgresql+asyncpg://app:pw@127.0.0.1:9/app"},
        security={"secret_key": "k" * 40},
    )
    # Without the lifespan: /health needs no database, and nothing listens on port 9.
    response = TestClient(create_app(production)).get("/health")

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
