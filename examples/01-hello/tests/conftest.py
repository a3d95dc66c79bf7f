"""Fixtures shared by every test of the service."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from fast_api_template.app import app


@pytest.fixture
def client() -> Iterator[TestClient]:
    """An HTTP client that calls the app in-process, with its lifespan running."""
    with TestClient(app) as test_client:
        yield test_client
