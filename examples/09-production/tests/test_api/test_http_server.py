"""End to end over real HTTP: uvicorn in a subprocess, configured as in production."""

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import migrate_to_head
from ports import free_port
from problem_checks import assert_problem

from fast_api_template.api.health import PROBE_PATHS
from fast_api_template.config import ENV_PREFIX

STAGE_ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30.0


@contextmanager
def running_server(
    tmp_path: Path, *options: str, server: str = "uvicorn", app: str = "fast_api_template.app:app"
) -> Iterator[tuple[httpx.Client, Path]]:
    """Start a server on a free port; yield a client for it and the file it logs to.

    The server runs in `tmp_path`, on a SQLite file there that is migrated first, as a
    deployment does, so no `.env` file of the developer's is read.
    """
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    asyncio.run(migrate_to_head(database_url))
    port = free_port()
    log_path = tmp_path / "server.log"
    env = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}
    env |= {
        f"{ENV_PREFIX}ENV": "test",
        f"{ENV_PREFIX}DATABASE__URL": database_url,
        f"{ENV_PREFIX}LOG__FORMAT": "json",
    }
    command = [sys.executable, "-m", *server.split(), app, "--host", "127.0.0.1"]
    command += ["--port", str(port), *options]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 -- our interpreter, our arguments
            command, cwd=tmp_path, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_until_healthy(client, process, log_path)
            yield client, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(
    client: httpx.Client, process: subprocess.Popen[bytes], log_path: Path
) -> None:
    """Poll GET /health until it answers; fail at once if the server exits, or after a bound."""
    for _ in range(int(STARTUP_SECONDS / 0.05)):
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:
            # Waits up to 50 ms for the process to exit, so a crash fails the test at once.
            code = process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"the server exited with {code}:\n{log_path.read_text()}")
    raise AssertionError(f"the server was not healthy after {STARTUP_SECONDS} s")


def json_lines(log_path: Path) -> list[dict[str, Any]]:
    """Parse the server's log; every line must be one JSON object."""
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


def register_and_log_in(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    """Register an account, log in, and return the header that authenticates as it."""
    registered = client.post("/api/v1/users", json={"email": email, "password": password})
    assert registered.status_code == 201, registered.text
    login = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    """One uvicorn, run as in production, for the tests of this module: the service plus the
    test-only routes (a process start costs seconds, more than the tests themselves)."""
    tests = str(STAGE_ROOT / "tests")
    with running_server(
        tmp_path_factory.mktemp("server"), "--app-dir", tests, app="server_with_a_bug:app"
    ) as running:
        yield running


def test_the_service_over_http(server: tuple[httpx.Client, Path]) -> None:
    password = secrets.token_urlsafe(12)
    client, log_path = server
    responses: list[httpx.Response] = []

    def call(method: str, path: str, **options: Any) -> httpx.Response:
        response = client.request(method, path, **options)
        responses.append(response)
        return response

    assert call("GET", "/health").status_code == 200
    assert call("GET", "/ready").status_code == 200
    echoed = call("GET", "/health", headers={"X-Request-ID": "e2e-1"})
    assert echoed.headers["x-request-id"] == "e2e-1"

    ada = register_and_log_in(client, "ada@example.com", password)
    eve = register_and_log_in(client, "eve@example.com", password)
    created = call("POST", "/api/v1/projects", json={"name": "Garden"}, headers=ada)
    assert created.status_code == 201
    project = f"/api/v1/projects/{created.json()['id']}"
    duplicate = call("POST", "/api/v2/projects", json={"name": "Garden"}, headers=ada)
    assert_problem(duplicate, 409)

    assert_problem(call("GET", "/api/v1/projects"), 401)
    json_type = {**ada, "content-type": "application/json"}
    malformed = call("POST", "/api/v1/projects", content=b"{", headers=json_type)
    assert_problem(malformed, 422)
    assert_problem(call("GET", "/nowhere"), 404)
    # Another user's project does not exist for eve, whether she reads or deletes it.
    assert_problem(call("GET", project, headers=eve), 404)
    assert_problem(call("DELETE", project, headers=eve), 404)
    assert call("GET", project, headers=ada).status_code == 200

    v1 = call("GET", "/api/v1/projects", headers=ada)
    v2 = call("GET", "/api/v2/projects", headers=ada)
    assert (v1.status_code, v2.status_code) == (200, 200)
    assert "deprecation" in v1.headers
    assert "deprecation" not in v2.headers

    # The same answer for an unknown account and a wrong password, but for the request id.
    same_id = {"X-Request-ID": "e2e-login"}
    unknown_account = {"username": "bob@example.com", "password": password}
    wrong_password = {"username": "ada@example.com", "password": password + "x"}
    unknown = call("POST", "/api/v1/auth/token", data=unknown_account, headers=same_id)
    wrong = call("POST", "/api/v1/auth/token", data=wrong_password, headers=same_id)
    assert_problem(unknown, 401)
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())

    lines = json_lines(log_path)
    ours = {response.headers["x-request-id"] for response in responses}
    assert not [
        line
        for line in lines
        if line["level"] in {"error", "critical"} and line.get("request_id") in ours
    ]
    assert {line["logger"] for line in lines} >= {"uvicorn.error", "fast_api_template.access"}
    # One access line per request, found by the id that the client got back; none for a
    # probe, whose line is at DEBUG (log.probe_access), below the server's INFO.
    logged = {line["request_id"]: line for line in lines if line["event"] == "request"}
    for response in responses:
        if response.headers["x-request-id"] == "e2e-login":
            continue  # two requests on purpose
        request = response.request
        if request.url.path in PROBE_PATHS:
            assert response.headers["x-request-id"] not in logged
            continue
        line = logged[response.headers["x-request-id"]]
        assert (line["method"], line["path"]) == (request.method, request.url.path)
        assert line["status"] == response.status_code


def test_a_bug_is_logged_once_with_its_request_id(server: tuple[httpx.Client, Path]) -> None:
    client, log_path = server
    response = client.get("/test/bug", headers={"X-Request-ID": "e2e-bug"})
    body = assert_problem(response, 500)
    assert body["detail"].startswith("An unexpected error occurred.")

    lines = json_lines(log_path)
    (error,) = [line for line in lines if line["level"] == "error"]
    assert (error["event"], error["request_id"]) == ("unhandled_exception", "e2e-bug")
    assert "RuntimeError: secret internals" in error["exception"]
    # uvicorn's own "Exception in ASGI application" would be a second traceback.
    assert log_path.read_text().count("Traceback") == 1


def test_fastapi_run_logs_in_the_same_format(tmp_path: Path) -> None:
    app_path = str(STAGE_ROOT / "fast_api_template" / "app.py")
    with running_server(tmp_path, server="fastapi run", app=app_path) as (client, log_path):
        client.get("/nowhere", headers={"X-Request-ID": "e2e-cli"})

    output = log_path.read_text()
    # `fastapi run` prints a banner of its own before the log lines.
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    (access,) = [line for line in lines if line.get("request_id") == "e2e-cli"]
    assert access["status"] == 404
    assert "GET /nowhere HTTP/1.1" not in output  # uvicorn's access line is off
    assert any(line["event"] == "Application startup complete." for line in lines)
