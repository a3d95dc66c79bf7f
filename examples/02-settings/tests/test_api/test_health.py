"""The health check answers without touching anything else."""

from fastapi.testclient import TestClient


def test_health_says_ok(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    assert schema["info"] == {"title": "fast_api_template", "version": "0.1.0"}
    assert "/health" in schema["paths"]
