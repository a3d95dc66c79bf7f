"""The health check answers without touching anything else."""

import httpx
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


async def test_health_says_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_health_is_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    assert schema["info"] == {"title": "fast_api_template", "version": "0.1.0"}
    assert "/health" in schema["paths"]


async def test_health_answers_head_as_load_balancers_probe(client: httpx.AsyncClient) -> None:
    response = await client.head("/health")

    assert response.status_code == 200
    assert response.content == b""
