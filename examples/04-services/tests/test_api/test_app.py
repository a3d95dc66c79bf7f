"""The app factory builds the app from the settings it is given."""

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from fast_api_template.api.deps import SettingsDep
from fast_api_template.app import create_app
from fast_api_template.config import CorsSettings, Environment, Settings

# About HTTP, not the database: SQLite alone (see conftest.py).
pytestmark = pytest.mark.sqlite_only


def test_routes_receive_the_settings_the_app_was_built_with() -> None:
    app = create_app(Settings(env=Environment.TEST, app={"name": "tracker"}))

    @app.get("/settings-name")
    async def settings_name(settings: SettingsDep) -> str:
        return settings.app.name

    with TestClient(app) as client:
        assert client.get("/settings-name").json() == "tracker"
        assert client.get("/openapi.json").json()["info"]["title"] == "tracker"


def test_apps_built_from_different_settings_stay_independent() -> None:
    first = create_app(Settings(env=Environment.TEST, app={"name": "first"}))
    second = create_app(Settings(env=Environment.TEST, app={"name": "second"}))

    assert (first.title, second.title) == ("first", "second")


def test_debug_follows_the_settings() -> None:
    assert create_app(Settings(env=Environment.TEST)).debug is False
    assert create_app(Settings(env=Environment.DEV)).debug is True


def test_allowed_origin_may_call_from_a_browser() -> None:
    settings = Settings(
        env=Environment.TEST, cors=CorsSettings(allow_origins=["https://app.example.com"])
    )
    preflight = {"Access-Control-Request-Method": "GET"}

    with TestClient(create_app(settings)) as client:
        allowed = client.options(
            "/health", headers={"Origin": "https://app.example.com", **preflight}
        )
        other = client.options("/health", headers={"Origin": "https://evil.example", **preflight})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.anyio
async def test_no_origin_is_allowed_by_default(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"Origin": "https://app.example.com"})

    assert app.user_middleware == []
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_every_path_parameter_is_typed_in_the_path() -> None:
    # `{project_id:int}` matches digits only: a literal segment (a `/projects/summaries` route
    # added later) then never reaches an id route, whatever order the routes were added in.
    app = create_app(Settings(env=Environment.TEST))
    paths = {route.path or "" for route in iter_route_contexts(app.routes)}
    untyped = [
        (path, name) for path in paths for name in re.findall(r"{([^}]*)}", path) if ":" not in name
    ]

    assert untyped == []
    assert "/api/v1/projects/{project_id:int}" in paths
