"""The app's middleware: two layers, the edge outside and the guard inside.

Stage 07 had a layer per concern: request id and access line, security headers, deprecation
headers, body limit, unhandled errors. Each layer is a coroutine call, a wrapped `send`, and
its own pass over the headers, on every request; together they cost more than FastAPI's own
work on a cheap route. Here two layers do it all:

- the guard, innermost, makes the answers that the app cannot make itself: a 413 for a body
  too large, a 500 for a bug;
- the edge, outermost, gives every answer, the guard's included, its request id and headers,
  and writes its access line.

CORS, when configured, sits between them, so that its headers reach the guard's answers too.
The concerns stay apart as plain objects that say which headers to add (core/headers.py,
api/versioning.py). The guide's page on the edge shows the profile before and after.

Pure ASGI rather than `BaseHTTPMiddleware`: nothing is buffered or re-wrapped, and the logging
context bound here is the one that the endpoint runs in.
"""

import re
import secrets
import time
from collections.abc import Collection, Sequence
from http import HTTPStatus
from typing import Final

import structlog
from fastapi import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fast_api_template.api.errors import (
    REQUEST_ID_HEADER,
    problem_response,
    reason_phrase,
    unhandled_error_response,
)
from fast_api_template.api.versioning import Deprecation
from fast_api_template.core.headers import RawHeaders, SecurityHeaders
from fast_api_template.schemas.problems import Problem

_REQUEST_ID: Final = REQUEST_ID_HEADER.lower().encode()

# --8<-- [start:request_id]
_WELL_FORMED_ID: Final = re.compile(rb"[A-Za-z0-9._-]{1,128}")


def request_id_of(incoming: bytes | None) -> str:
    """Return the caller's X-Request-ID if it is well formed, else a new id.

    A proxy or another service may have given the request an id already: keeping it ties
    their logs to ours. Anything else (too long, spaces, control characters) could forge or
    break log lines, so it is replaced, not cleaned.
    """
    if incoming is not None and _WELL_FORMED_ID.fullmatch(incoming):
        return incoming.decode("ascii")
    return secrets.token_hex(16)  # 128 random bits, as a UUID4 has, a fraction of the cost


# --8<-- [end:request_id]


class ContentTooLargeError(HTTPException):
    """The request body is larger than the service accepts: 413."""

    def __init__(self, max_body_size: int) -> None:
        super().__init__(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"The request body is larger than {max_body_size} bytes.",
        )


# --8<-- [start:edge]
class EdgeMiddleware:
    """Give each request an id, add the edge's headers to its answer, and log one line.

    - The request id: the caller's `X-Request-ID` if well formed, else a new one; bound to the
      logging context while the request runs, and returned in the response.
    - The headers: security headers (unless the response set its own), and the deprecation
      headers of a retiring version.
    - One access line when the response is done, with its status and duration.

    Args:
        app: The ASGI app to wrap.
        security: Which security headers each response gets.
        deprecations: The retiring versions, each with its headers.
        quiet_paths: Paths whose access line is written at DEBUG rather than INFO: the
            probes, which a proxy sends every few seconds to each process.

    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        security: SecurityHeaders,
        deprecations: Sequence[Deprecation],
        quiet_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        self.security = security
        self.deprecations = tuple(deprecations)
        self.quiet_paths = frozenset(quiet_paths)
        # A bound logger, not the lazy proxy that get_logger returns: it skips a lookup
        # per line. Built here, after the app configured logging.
        self.access_log = structlog.stdlib.get_logger("fast_api_template.access").bind()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request through the app, with an id, and the edge's headers on its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming_id, authenticated = _read_headers(scope["headers"])
        request_id = request_id_of(incoming_id)
        # For the error handlers: `request.state.request_id`.
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        added = [(_REQUEST_ID, request_id.encode())]
        added += self.security.for_request(path, authenticated=authenticated)
        for deprecation in self.deprecations:
            added += deprecation.for_path(path)
        status = HTTPStatus.INTERNAL_SERVER_ERROR.value  # if the app raises before answering

        async def send_at_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                # A plain int: a response may carry an HTTPStatus, which logs as its repr.
                status = int(message["status"])
                message["headers"] = _merged(message.get("headers", ()), added)
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_at_edge)
        finally:
            client = scope.get("client")
            quiet = path in self.quiet_paths
            log = self.access_log.debug if quiet else self.access_log.info
            log(
                "request",
                method=scope["method"],
                path=path,
                status=status,
                duration_ms=round((time.perf_counter() - start) * 1000, 2),
                # Who asked, and from where: the address that the limits count (behind a
                # trusted proxy, the one it names), and the user that `CurrentUser` found.
                client=client[0] if client else None,
                user_id=scope["state"].get("user_id"),
            )
            structlog.contextvars.reset_contextvars(**tokens)


# --8<-- [end:edge]


class GuardMiddleware:
    """Answer what the app cannot: a request body too large (413), and a bug (500).

    - A `Content-Length` over `max_body_size` is a 413 before the app runs. A body without
      one (chunked) is counted as the app reads it, and reading stops at the limit, so a
      client cannot make the service hold an unbounded body in memory.
    - An exception that nothing handled is a 500 problem (`unhandled_error_response`).
      Starlette would answer it in its ServerErrorMiddleware, outside every middleware that
      the app adds: that 500 would miss the CORS and security headers and the request id.

    Args:
        app: The ASGI app to wrap.
        max_body_size: The largest request body accepted, in bytes.
        debug: Say what failed in a 500's detail (production refuses it).

    """

    def __init__(self, app: ASGIApp, *, max_body_size: int, debug: bool = False) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a body declared too large; count one of unknown length; answer a bug."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope["headers"])
        if declared is not None and declared > self.max_body_size:
            await self._too_large(scope)(scope, receive, send)
            return
        if declared is None:
            receive = self._counting(receive)
        # Otherwise the server delivers no more than the declared length: nothing to count.
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as error:
            if started:
                raise  # too late for an answer: the server closes the connection
            response = unhandled_error_response(Request(scope), error, debug=self.debug)
            await response(scope, receive, send)

    def _counting(self, receive: Receive) -> Receive:
        """Wrap `receive` to stop reading a body without a length once it passes the limit."""
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

        return counting_receive

    def _too_large(self, scope: Scope) -> ASGIApp:
        error = ContentTooLargeError(self.max_body_size)
        problem = Problem(
            type="about:blank",
            title=reason_phrase(HTTPStatus(error.status_code)),
            status=error.status_code,
            detail=error.detail,
        )
        return problem_response(Request(scope), problem)


def _read_headers(headers: Sequence[tuple[bytes, bytes]]) -> tuple[bytes | None, bool]:
    """Read, in one pass, the request's X-Request-ID and whether it carries credentials.

    ASGI servers give header names in lower case.
    """
    request_id, authenticated = None, False
    for name, value in headers:
        if name == _REQUEST_ID:
            request_id = value
        elif name == b"authorization":
            authenticated = True
    return request_id, authenticated


def _content_length(headers: Sequence[tuple[bytes, bytes]]) -> int | None:
    """Return the request's Content-Length; None when it has none (or a malformed one)."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _merged(headers: Sequence[tuple[bytes, bytes]], added: RawHeaders) -> RawHeaders:
    """Return the response's headers with the edge's added: a header it set itself stays.

    `Link` is the exception: a response may have links of its own, and gets ours too.
    """
    merged = list(headers)
    present = {name.lower() for name, _ in merged}
    merged += [(name, value) for name, value in added if name == b"link" or name not in present]
    return merged
