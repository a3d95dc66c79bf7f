"""Pure ASGI middleware: request ids with an access log line, and a limit on request bodies.

Pure ASGI rather than `BaseHTTPMiddleware`: nothing is buffered or re-wrapped, and the logging
context bound here is the one that the endpoint runs in.
"""

import re
import time
import uuid
from collections.abc import Collection
from http import HTTPStatus
from typing import Final

import structlog
from fastapi import HTTPException
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fast_api_template.api.errors import REQUEST_ID_HEADER, problem_response, reason_phrase
from fast_api_template.schemas.problems import Problem

access_logger = structlog.stdlib.get_logger("fast_api_template.access")

# --8<-- [start:request_id]
_WELL_FORMED_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """Return the caller's X-Request-ID if it is well formed, else a new id.

    A proxy or another service may have given the request an id already: keeping it ties
    their logs to ours. Anything else (too long, spaces, control characters) could forge or
    break log lines, so it is replaced, not cleaned.
    """
    incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if incoming is not None and _WELL_FORMED_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each request an id, return it, log with it, and write one access line.

    Args:
        app: The app to wrap.
        quiet_paths: Paths whose access line is written at DEBUG rather than INFO: the
            probes, which a proxy sends every few seconds to each process.

    """

    def __init__(self, app: ASGIApp, *, quiet_paths: Collection[str] = ()) -> None:
        self.app = app
        self.quiet_paths = frozenset(quiet_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Bind the request id to the logging context while the request runs."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        # For the error handlers: `request.state.request_id`.
        scope.setdefault("state", {})["request_id"] = request_id
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        status = HTTPStatus.INTERNAL_SERVER_ERROR.value  # if the app raises before answering
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            quiet = scope["path"] in self.quiet_paths
            log = access_logger.debug if quiet else access_logger.info
            log(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - start) * 1000, 2),
                # Who asked, and from where: the address that the limits count (behind a
                # trusted proxy, the one it names), and the user that `CurrentUser` found.
                client=client[0] if client else None,
                user_id=scope["state"].get("user_id"),
            )
            structlog.contextvars.reset_contextvars(**tokens)


# --8<-- [end:request_id]


class ContentTooLargeError(HTTPException):
    """The request body is larger than the service accepts: 413."""

    def __init__(self, max_body_size: int) -> None:
        super().__init__(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"The request body is larger than {max_body_size} bytes.",
        )


class BodySizeLimitMiddleware:
    """Refuse request bodies over `max_body_size` bytes with 413.

    A `Content-Length` over the limit is refused before the app runs. A body without one
    (chunked) is counted as the app reads it, and reading stops at the limit, so a client
    cannot make the service hold an unbounded body in memory.
    """

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes that arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_size:
            response = problem_response(Request(scope), self._problem())
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_size:
                    # An HTTPException, so that FastAPI answers it like any other.
                    raise ContentTooLargeError(self.max_body_size)
            return message

        await self.app(scope, counting_receive, send)

    def _problem(self) -> Problem:
        error = ContentTooLargeError(self.max_body_size)
        return Problem(
            type="about:blank",
            title=reason_phrase(HTTPStatus(error.status_code)),
            status=error.status_code,
            detail=error.detail,
        )
