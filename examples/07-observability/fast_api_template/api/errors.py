"""Every error response has one body, a `Problem`: domain errors, invalid requests, HTTP errors.

Services raise domain exceptions and know nothing of HTTP. This module is the one place that
decides which status code each family of them gets.

Every `Problem` also names the request it answers: `instance` (the path) and `request_id` (the
id on the request's log lines), and an unhandled exception is a `Problem` too, a 500 that
says what failed only where `settings.app.debug` is on.
"""

from collections.abc import Mapping
from functools import partial
from http import HTTPStatus
from typing import Final

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from fast_api_template.core.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    TooManyAttemptsError,
)
from fast_api_template.core.logging import mark_logged
from fast_api_template.schemas.problems import Problem, ValidationIssue

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
REQUEST_ID_HEADER: Final = "X-Request-ID"

logger = structlog.stdlib.get_logger(__name__)

# --8<-- [start:status]
# The most specific class in an error's ancestry decides its status code.
STATUS_OF: Final[dict[type[DomainError], HTTPStatus]] = {
    NotFoundError: HTTPStatus.NOT_FOUND,
    ConflictError: HTTPStatus.CONFLICT,
    AuthenticationError: HTTPStatus.UNAUTHORIZED,
    PermissionDeniedError: HTTPStatus.FORBIDDEN,
    TooManyAttemptsError: HTTPStatus.TOO_MANY_REQUESTS,
    DomainError: HTTPStatus.BAD_REQUEST,
}


def headers_of(error: DomainError) -> dict[str, str]:
    """Return the headers that HTTP asks for with some errors."""
    if isinstance(error, AuthenticationError):
        # RFC 9110: a 401 names the scheme that would be accepted.
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, TooManyAttemptsError):
        return {"Retry-After": str(error.retry_after)}
    return {}


# --8<-- [end:status]


def problem_type(code: str) -> str:
    """Return the URI reference that identifies a kind of problem."""
    return f"/problems/{code}"


# --8<-- [start:problem_response]
def problem_response(
    request: Request, problem: Problem, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Send a problem as the body of the error response to `request`.

    The request id comes from the request's state, where `RequestIdMiddleware` put it: a
    500 is answered outside that middleware, so the header is set here as well.
    """
    request_id: str | None = getattr(request.state, "request_id", None)
    problem = problem.model_copy(update={"instance": request.url.path, "request_id": request_id})
    all_headers = dict(headers or {})
    if request_id is not None:
        all_headers[REQUEST_ID_HEADER] = request_id
    return JSONResponse(
        jsonable_encoder(problem, exclude_none=True),
        status_code=problem.status,
        headers=all_headers,
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
    """Answer an invalid request with every reason at once."""
    issues = [
        ValidationIssue(loc=list(issue["loc"]), msg=issue["msg"], type=issue["type"])
        for issue in error.errors()
    ]
    return problem_response(
        request,
        Problem(
            type=problem_type("invalid-request"),
            title="Invalid request",
            status=HTTPStatus.UNPROCESSABLE_ENTITY,
            detail=f"The request has {len(issues)} invalid value(s): see errors.",
            errors=issues,
        ),
    )


async def handle_http_error(request: Request, error: HTTPException) -> JSONResponse:
    """Answer an HTTP error (unknown route, wrong method, 401, 413...) in the same shape."""
    status = HTTPStatus(error.status_code)
    return problem_response(
        request,
        Problem(type="about:blank", title=status.phrase, status=status, detail=str(error.detail)),
        headers=error.headers,
    )


# --8<-- [end:handlers]


# --8<-- [start:unexpected]
async def handle_unexpected_error(
    request: Request, error: Exception, *, debug: bool = False
) -> JSONResponse:
    """Answer a bug: log it once, with its traceback and request id, and say little.

    Starlette calls this from `ServerErrorMiddleware`, outside every other middleware, for
    any exception that nothing else handled. The traceback goes to the log, never to the
    client; the exception's type and message reach the client only when debug is on (dev).
    """
    logger.error(
        "unhandled_exception",
        request_id=getattr(request.state, "request_id", None),
        method=request.method,
        path=request.url.path,
        exc_info=error,
    )
    mark_logged(error)  # so that uvicorn does not log the same traceback again
    if debug:
        detail = f"{type(error).__name__}: {error}"
    else:
        detail = "An unexpected error occurred. Quote the request_id when you report it."
    return problem_response(
        request,
        Problem(
            type="about:blank",
            title=HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
            status=HTTPStatus.INTERNAL_SERVER_ERROR,
            detail=detail,
        ),
    )


# --8<-- [end:unexpected]


# --8<-- [start:register]
def register_error_handlers(app: FastAPI, *, debug: bool) -> None:
    """Make `app` answer every error with a `Problem`, a bug included.

    Args:
        app: The app.
        debug: Say what failed in a 500's detail (dev only; prod refuses it).

    """
    # The decorator form, called directly: it accepts handlers typed for their exception.
    app.exception_handler(DomainError)(handle_domain_error)
    app.exception_handler(RequestValidationError)(handle_validation_error)
    app.exception_handler(HTTPException)(handle_http_error)
    app.exception_handler(Exception)(partial(handle_unexpected_error, debug=debug))


# --8<-- [end:register]
