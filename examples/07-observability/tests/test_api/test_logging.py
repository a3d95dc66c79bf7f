"""Log lines: one format for every logger, and the request id on each line of a request."""

import json
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from conftest import AppFactory, make_client
from failing_routes import add_failing_routes
from fastapi import FastAPI
from log_capture import JsonLogLines

from fast_api_template.config import Environment, Settings
from fast_api_template.core.logging import (
    HANDLER_NAME,
    configure_logging,
)
from fast_api_template.models import User

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]


@pytest.fixture
def log_lines(app: FastAPI) -> Iterator[JsonLogLines]:
    """What the app logs during the test, as JSON lines."""
    del app  # built first: building it configures logging
    handler = JsonLogLines()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests that configure logging themselves: put the defaults back afterwards."""
    yield
    configure_logging()


@pytest.fixture
async def app(make_app: AppFactory, settings: Settings) -> FastAPI:
    """An app of this module's own: it has the failing routes too."""
    return add_failing_routes(await make_app(settings))


@pytest.fixture
def routes(app: FastAPI) -> FastAPI:
    return app


async def test_one_access_line_per_request(
    client: httpx.AsyncClient, log_lines: JsonLogLines
) -> None:
    await client.get("/nowhere", headers={"X-Request-ID": "req-1"})

    (line,) = log_lines.events("request")
    assert line["request_id"] == "req-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/nowhere", 404)
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "info"
    assert line["logger"] == "fast_api_template.access"
    assert line["timestamp"].endswith("Z")


async def test_the_access_line_names_the_user_and_the_client(
    client: httpx.AsyncClient, user: User, log_lines: JsonLogLines
) -> None:
    await client.get("/api/v2/users/me")

    (line,) = log_lines.events("request")
    assert (line["user_id"], line["client"], line["status"]) == (user.id, "127.0.0.1", 200)


async def test_a_security_event_is_a_line_with_its_fields(
    anonymous: httpx.AsyncClient, user: User, log_lines: JsonLogLines
) -> None:
    form = {"username": user.email, "password": "wrong-password"}
    await anonymous.post("/api/v2/auth/token", data=form)

    (event,) = [line for line in log_lines.lines if line.get("security_event")]
    assert event["security_event"] == "login_failed"
    assert (event["user_id"], event["client_address"]) == (user.id, "127.0.0.1")
    assert event["reason"] == "wrong password"
    assert event["level"] == "warning"


@pytest.mark.parametrize(
    ("log", "written"),
    [
        pytest.param({}, [("/elsewhere", "info")], id="info"),
        pytest.param(
            {"level": "DEBUG"},
            [("/health", "debug"), ("/ready", "debug"), ("/elsewhere", "info")],
            id="debug",
        ),
        pytest.param(
            {"probe_access": True},
            [("/health", "info"), ("/ready", "info"), ("/elsewhere", "info")],
            id="probe_access",
        ),
    ],
)
@pytest.mark.usefixtures("restore_logging")
async def test_a_probe_writes_its_access_line_at_debug_unless_probe_access_is_on(
    make_app: AppFactory, settings: Settings, log: dict[str, Any], written: list[tuple[str, str]]
) -> None:
    app = await make_app(settings.model_copy(update={"log": settings.log.model_copy(update=log)}))
    lines = JsonLogLines()
    logging.getLogger().addHandler(lines)  # after the app: building it configures logging
    try:
        async with make_client(app) as client:
            for path in ("/health", "/ready", "/elsewhere"):
                await client.get(path)
    finally:
        logging.getLogger().removeHandler(lines)

    assert [(line["path"], line["level"]) for line in lines.events("request")] == written


@pytest.mark.usefixtures("routes")
async def test_every_line_of_a_request_carries_its_id(
    client: httpx.AsyncClient, log_lines: JsonLogLines
) -> None:
    await client.get("/test/logs", headers={"X-Request-ID": "req-2"})

    (ours,) = log_lines.events("from structlog")
    (stdlib,) = log_lines.events("from logging")
    assert (ours["request_id"], ours["answer"]) == ("req-2", 42)
    assert (stdlib["request_id"], stdlib["logger"], stdlib["level"]) == (
        "req-2",
        "test.stdlib",
        "warning",
    )


async def test_the_id_is_unbound_after_the_request(
    client: httpx.AsyncClient, log_lines: JsonLogLines
) -> None:
    await client.get("/health", headers={"X-Request-ID": "req-3"})
    structlog.stdlib.get_logger("test").info("after")

    (after,) = log_lines.events("after")
    assert "request_id" not in after


@pytest.mark.usefixtures("routes")
async def test_a_bug_is_one_error_event_with_its_traceback(
    client: httpx.AsyncClient, log_lines: JsonLogLines
) -> None:
    response = await client.get("/test/bug", headers={"X-Request-ID": "req-4"})

    assert response.status_code == 500
    (error,) = [line for line in log_lines.lines if line["level"] == "error"]
    assert error["event"] == "unhandled_exception"
    assert (error["request_id"], error["path"]) == ("req-4", "/test/bug")
    assert error["exception"].startswith("Traceback")
    assert "RuntimeError: secret internals" in error["exception"]
    (access,) = log_lines.events("request")
    assert access["status"] == 500


@pytest.mark.usefixtures("app")
async def test_library_and_uvicorn_records_share_the_format(log_lines: JsonLogLines) -> None:
    logging.getLogger("some.library").warning("disk %s%% full", 91)
    logging.getLogger("uvicorn.error").info("Started", extra={"color_message": "\x1b[1mStarted"})
    logging.getLogger("uvicorn.access").info('"GET / HTTP/1.1" 200')  # we write our own

    library, uvicorn = log_lines.lines
    assert library == {
        "timestamp": library["timestamp"],
        "level": "warning",
        "logger": "some.library",
        "event": "disk 91% full",
    }
    assert uvicorn["logger"] == "uvicorn.error"
    assert "color_message" not in uvicorn


@pytest.mark.parametrize(
    ("env", "log", "json_lines"),
    [
        (Environment.PROD, {}, True),
        (Environment.DEV, {}, False),
        (Environment.TEST, {}, False),
        (Environment.DEV, {"format": "json"}, True),
    ],
)
@pytest.mark.usefixtures("restore_logging")
def test_the_format_follows_the_environment(
    env: Environment, log: dict[str, str], json_lines: bool
) -> None:
    settings = Settings(
        env=env,
        database={"url": "postgresql+asyncpg://app:pw@127.0.0.1:9/app"},
        redis={"url": "redis://:pw@127.0.0.1:9/0"},
        security={"secret_key": secrets.token_urlsafe(32)},
        log=log,
    )
    configure_logging(settings.log.level, json_logs=settings.log.format == "json")
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)

    line = handler.format(record)

    assert "hello you" in line
    assert line.startswith("{") is json_lines


@pytest.mark.usefixtures("restore_logging")
def test_the_level_applies_to_uvicorn_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", json_logs=True)
    logging.getLogger("uvicorn.error").setLevel(logging.INFO)  # as uvicorn sets it

    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == ["Invalid HTTP request received."]


async def test_log_sample_of_one_request(
    client: httpx.AsyncClient, log_lines: JsonLogLines
) -> None:
    """Print the lines of one request: `uv run pytest -k log_sample -s` shows them."""
    request_id = {"X-Request-ID": "3f2c9a61"}
    await client.post("/api/v2/projects", json={"name": "Garden"}, headers=request_id)

    # The test's HTTP client logs its side of the call too; keep the service's lines.
    lines = [line for line in log_lines.lines if line["logger"].startswith("fast_api_template")]
    assert lines
    for line in lines:
        assert list(line)[:5] == ["timestamp", "level", "logger", "event", "request_id"]
        assert line["request_id"] == "3f2c9a61"
        print(json.dumps(line))
