"""Checks of the error format shared by the tests: problem details with the request id."""

from typing import Any

import httpx

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "request_id"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert that `response` is problem details for `status`, and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body
