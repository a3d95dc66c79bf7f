"""Fixtures shared by every test of the service."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fast_api_template.config import ENV_PREFIX, ENV_VAR, Environment, Settings

# Importing fast_api_template.app builds the module-level app from the environment, so the
# developer's own FAST_API_TEMPLATE_* variables must be gone before any test module imports it.
for _name in [name for name in os.environ if name.upper().startswith(ENV_PREFIX)]:
    del os.environ[_name]
os.environ[ENV_VAR] = Environment.TEST.value

from fast_api_template.app import create_app  # noqa: E402


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run each test without FAST_API_TEMPLATE_* variables, in an empty working directory.

    The empty directory keeps a developer's own `.env` files out of the tests.
    """
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings() -> Settings:
    """Settings of the test environment, from defaults only (the environment is cleared)."""
    return Settings(env=Environment.TEST)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """A fresh app built from the test settings."""
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client that calls the app in-process, with its lifespan running."""
    with TestClient(app) as test_client:
        yield test_client
