"""Every error response has one body, a `Problem`: domain errors, invalid requests, HTTP errors.

Services raise domain exceptions and know nothing of HTTP. This module is the one place that
decides which status code each family of them gets, and what the OpenAPI document says about
the errors that every operation can answer.

Every `Problem` also names the request it answers: `instance` (the path) and `request_id` (the
id on the request's log lines), and an unhandled exception is a `Problem` too, a 500 that
says what failed only where `settings.app.debug` is on.
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException

from fast_api_template.core.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    TooManyAttemptsError,
    UnavailableError,
)
from fast_api_template.core.logging import redact_values
from fast_api_template.db import DATABASE_UNAVAILABLE
from fast_api_template.schemas.problems import MAX_LISTED_ISSUES, Problem, ValidationIssue

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
REQUEST_ID_HEADER: Final = "X-Request-ID"
# How long a client should wait before it tries again when the database does not answer:
# long enough for a restarted server or a pool with a free connection, short enough to matter.
RETRY_AFTER_SECONDS: Final = 5
# A location in an error names a field; a client's field names are cut to this length, so
# that a megabyte-long key is not sent back whole.
MAX_LOCATION_LENGTH: Final = 64

logger = structlog.stdlib.get_logger(__name__)

# --8<-- [start:status]
# The most specific class in an error's ancestry decides its status code.
STATUS_OF: Final[dict[type[DomainError], HTTPStatus]] = {
    NotFoundError: HTTPStatus.NOT_FOUND,
    ConflictError: HTTPStatus.CONFLICT,
    AuthenticationError: HTTPStatus.UNAUTHORIZED,
    PermissionDeniedError: HTTPStatus.FORBIDDEN,
    TooManyAttemptsError: HTTPStatus.TOO_MANY_REQUESTS,
    UnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
    DomainError: HTTPStatus.BAD_REQUEST,
}


def headers_of(error: DomainError) -> dict[str, str]:
    """Return the headers that HTTP asks for with some errors."""
    if isinstance(error, AuthenticationError):
        # RFC 9110: a 401 names the scheme that would be accepted.
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, TooManyAttemptsError | UnavailableError):
        return {"Retry-After": str(error.retry_after)}
    return {}


# --8<-- [end:status]


def problem_type(code: str) -> str:
    """Return the URI reference that identifies a kind of problem."""
    return f"/problems/{code}"


# RFC 9110 renamed these; Python's HTTPStatus follows from 3.13 on. One name on every Python.
_RFC_9110_PHRASES: Final = {
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "Content Too Large",
    HTTPStatus.UNPROCESSABLE_ENTITY: "Unprocessable Content",
    HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE: "Range Not Satisfiable",
}


def reason_phrase(status: HTTPStatus) -> str:
    """Return the name that RFC 9110 gives a status code, whatever the Python version."""
    return _RFC_9110_PHRASES.get(status, status.phrase)


# --8<-- [start:problem_response]
def problem_response(
    request: Request, problem: Problem, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Send a problem as the body of the error response to `request`.

    The request id comes from the request's state, where the edge put it (api/middleware.py).
    """
    request_id: str | None = getattr(request.state, "request_id", None)
    problem = problem.model_copy(update={"instance": request.url.path, "request_id": request_id})
    return JSONResponse(
        jsonable_encoder(problem, exclude_none=True),
        status_code=problem.status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


# --8<-- [end:problem_response]


# --8<-- [start:handlers]
async def handle_domain_error(request: Request, error: DomainError) -> JSONResponse:
    """Answer a broken business rule with the status code of its family."""
    status = next(STATUS_OF[cls] for cls in type(error).__mro__ if cls in STATUS_OF)
    return problem_response(
        request,
        Problem(
            type=problem_type(error.code),
            title=error.title,
            status=status,
            detail=error.detail,
        ),
        headers=headers_of(error),
    )


async def handle_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """Answer an invalid request with its reasons: the first few, and how many there are."""
    reasons = error.errors()
    listed = [
        ValidationIssue(loc=_short_location(issue["loc"]), msg=issue["msg"], type=issue["type"])
        for issue in reasons[:MAX_LISTED_ISSUES]
    ]
    more = len(reasons) - len(listed)
    return problem_response(
        request,
        Problem(
            type=problem_type("invalid-request"),
            title="Invalid request",
            status=HTTPStatus.UNPROCESSABLE_ENTITY,
            detail=f"The request has {len(reasons)} invalid value(s): see errors.",
            errors=listed,
            more_errors=more or None,
        ),
    )


def _short_location(location: Any) -> list[str | int]:
    return [
        part if isinstance(part, int) or len(part) <= MAX_LOCATION_LENGTH else f"{part[:60]}..."
        for part in location
    ]


async def handle_http_error(request: Request, error: HTTPException) -> JSONResponse:
    """Answer an HTTP error (unknown route, wrong method, 401, 413...) in the same shape."""
    status = HTTPStatus(error.status_code)
    headers = dict(error.headers or {})
    if status is HTTPStatus.METHOD_NOT_ALLOWED:
        # Starlette names the methods of the first route that matched the path only; a path
        # often has several routes (GET and POST /projects), and Allow must list them all.
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem_response(
        request,
        Problem(
            type="about:blank",
            title=reason_phrase(status),
            status=status,
            detail=str(error.detail),
        ),
        headers=headers,
    )


def allowed_methods(request: Request) -> list[str]:
    """List the methods that the app's routes accept for the request's path."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        path_regex = getattr(route, "path_regex", None)
        if path_regex is not None and path_regex.match(request.url.path) and route.methods:
            methods |= route.methods
    return sorted(methods)


# --8<-- [end:handlers]


# --8<-- [start:unavailable]
async def handle_database_unavailable(request: Request, error: Exception) -> JSONResponse:
    """Answer 503 when the database is down, hung or out of connections, and log one line.

    It is not a bug, so there is no traceback: one line per failed request, with the kind of
    failure (its message may quote a statement). Clients may try again after Retry-After.
    """
    logger.warning("database_unavailable", error=type(error).__name__)
    return problem_response(
        request,
        Problem(
            type=problem_type("unavailable"),
            title="Service unavailable",
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            detail="The database does not answer. Try again shortly.",
        ),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# --8<-- [end:unavailable]


# --8<-- [start:unhandled]
def unhandled_error_response(request: Request, error: Exception, *, debug: bool) -> JSONResponse:
    """Answer a bug, an exception that nothing else handled: log it once, and say little.

    The traceback goes to the log, with the request id, never to the client. The exception's
    type and message reach the client only when `debug` is on (dev). The guard middleware
    calls this (api/middleware.py), inside every other layer, so that the 500 carries the
    CORS and security headers and the request id, as every other answer does.
    """
    logger.error(
        "unhandled_exception", method=request.method, path=request.url.path, exc_info=error
    )
    if debug:
        detail = redact_values(f"{type(error).__name__}: {error}")
    else:
        detail = "An unexpected error occurred. Quote the request_id when you report it."
    problem = Problem(
        type="about:blank",
        title=HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
        status=HTTPStatus.INTERNAL_SERVER_ERROR,
        detail=detail,
    )
    return problem_response(request, problem)


# --8<-- [end:unhandled]


# --8<-- [start:register]
def register_error_handlers(app: FastAPI) -> None:
    """Make `app` answer every error it handles with a `Problem`, and document them so."""
    # The decorator form, called directly: it accepts handlers typed for their exception.
    app.exception_handler(DomainError)(handle_domain_error)
    app.exception_handler(RequestValidationError)(handle_validation_error)
    app.exception_handler(HTTPException)(handle_http_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.exception_handler(unavailable)(handle_database_unavailable)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_problems(FastAPI.openapi(app))
        return app.openapi_schema

    # FastAPI's documented way to change the generated document: replace the method.
    app.openapi = openapi  # type: ignore[method-assign]


# --8<-- [end:register]


PROBLEM_REF: Final = {"$ref": "#/components/schemas/Problem"}
# Errors that any API operation can answer, beyond those its route declares.
COMMON_ERRORS: Final[dict[str, str]] = {
    "503": "The database does not answer; try again after Retry-After",
}
BODY_ERRORS: Final[dict[str, str]] = {
    "400": "The body is not valid UTF-8, or is nested too deep to read",
    "413": "The body is larger than the service accepts",
}


def describe_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Make an OpenAPI document say what the server sends for errors.

    Every error answers `application/problem+json` with a `Problem`, FastAPI's own 422
    included; every API operation can answer 503, and one with a body 400 and 413.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _, definitions = models_json_schema(
        [(Problem, "serialization")], ref_template="#/components/schemas/{model}"
    )
    for name, schema in definitions["$defs"].items():
        schemas.setdefault(name, schema)
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if path.startswith("/api/"):
                _add_missing(responses, COMMON_ERRORS)
            if "requestBody" in operation:
                _add_missing(responses, BODY_ERRORS)
            for status, response in responses.items():
                if int(status) >= HTTPStatus.BAD_REQUEST:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
    # FastAPI's default 422 body, which this service never sends.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _add_missing(responses: dict[str, Any], errors: Mapping[str, str]) -> None:
    for status, description in errors.items():
        responses.setdefault(status, {"description": description})
