"""Every error response has one body, a `Problem`: domain errors, invalid requests, HTTP errors.

Services raise domain exceptions and know nothing of HTTP. This module is the one place that
decides which status code each family of them gets.
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Final

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
from fast_api_template.schemas.problems import Problem, ValidationIssue

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"

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


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """Send a problem as the body of an error response."""
    return JSONResponse(
        jsonable_encoder(problem, exclude_none=True),
        status_code=problem.status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


# --8<-- [start:handlers]
async def handle_domain_error(_request: Request, error: DomainError) -> JSONResponse:
    """Answer a broken business rule with the status code of its family."""
    status = next(STATUS_OF[cls] for cls in type(error).__mro__ if cls in STATUS_OF)
    return problem_response(
        Problem(
            type=problem_type(error.code),
            title=error.title,
            status=status,
            detail=error.detail,
        ),
        headers=headers_of(error),
    )


async def handle_validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    """Answer an invalid request with every reason at once."""
    issues = [
        ValidationIssue(loc=list(issue["loc"]), msg=issue["msg"], type=issue["type"])
        for issue in error.errors()
    ]
    return problem_response(
        Problem(
            type=problem_type("invalid-request"),
            title="Invalid request",
            status=HTTPStatus.UNPROCESSABLE_ENTITY,
            detail=f"The request has {len(issues)} invalid value(s): see errors.",
            errors=issues,
        )
    )


async def handle_http_error(_request: Request, error: HTTPException) -> JSONResponse:
    """Answer an HTTP error (unknown route, wrong method...) in the same shape."""
    status = HTTPStatus(error.status_code)
    return problem_response(
        Problem(type="about:blank", title=status.phrase, status=status, detail=str(error.detail)),
        headers=error.headers,
    )


def register_error_handlers(app: FastAPI) -> None:
    """Make `app` answer every error it handles with a `Problem`."""
    # The decorator form, called directly: it accepts handlers typed for their exception.
    app.exception_handler(DomainError)(handle_domain_error)
    app.exception_handler(RequestValidationError)(handle_validation_error)
    app.exception_handler(HTTPException)(handle_http_error)


# --8<-- [end:handlers]
