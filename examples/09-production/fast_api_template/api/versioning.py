"""Two API versions in one app: v1's deprecation headers, and one OpenAPI document per version."""

from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from fast_api_template.api.errors import describe_problems
from fast_api_template.core.headers import RawHeaders


# --8<-- [start:deprecation]
class Deprecation:
    """The headers that mark every response under a retiring version's prefix, errors included.

    `Deprecation` (RFC 9745: `@` and the Unix time), `Sunset` (RFC 8594: the HTTP-date from
    which the version may stop answering) and a `Link` to the same path in the version that
    replaces it, with `rel="successor-version"`.

    Args:
        prefix: The retiring version's path prefix, e.g. `/api/v1`.
        successor: The prefix of the version that replaces it, e.g. `/api/v2`.
        deprecated_at: When the version was deprecated; timezone-aware.
        sunset_at: From when it may stop answering; timezone-aware.

    """

    def __init__(
        self, *, prefix: str, successor: str, deprecated_at: datetime, sunset_at: datetime
    ) -> None:
        self.prefix = prefix
        self.successor = successor
        self._dates: RawHeaders = [
            (b"deprecation", f"@{int(deprecated_at.timestamp())}".encode()),
            (b"sunset", format_datetime(sunset_at, usegmt=True).encode()),
        ]

    def for_path(self, path: str) -> RawHeaders:
        """Return the headers for a response to `path`: none outside the prefix."""
        if not (path == self.prefix or path.startswith(f"{self.prefix}/")):
            return []
        # Percent-encoded: a header is latin-1, and a path may hold any character.
        successor_path = quote(path.removeprefix(self.prefix), safe="/")
        link = f'<{self.successor}{successor_path}>; rel="successor-version"'
        return [*self._dates, (b"link", link.encode())]


# --8<-- [end:deprecation]


def api_routes(app: FastAPI) -> list[RouteContext]:
    """List the app's path operations with their full paths.

    Since FastAPI 0.137, `app.routes` holds an included router as one node rather than a copy
    of each of its routes; `iter_route_contexts` walks into those nodes.
    """
    return [
        route
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
    ]


# --8<-- [start:docs]
def add_version_docs(app: FastAPI, *, prefix: str, version: str) -> None:
    """Serve an OpenAPI document and a Swagger UI with only the routes under `prefix`.

    They answer at `{prefix}/openapi.json` and `{prefix}/docs`. The document is built on the
    first request, when every route is in place, and kept.
    """
    title = f"{app.title} {version}"
    document: dict[str, Any] = {}

    async def openapi(request: Request) -> JSONResponse:
        if not document:
            # From the request, not from the enclosing function: a route that held its app
            # would keep every app ever built in memory.
            current: FastAPI = request.app
            routes = [
                route
                for route in api_routes(current)
                if route.path is not None and route.path.startswith(f"{prefix}/")
            ]
            generated = get_openapi(
                title=title,
                version=current.version,
                openapi_version=current.openapi_version,
                routes=routes,
                separate_input_output_schemas=current.separate_input_output_schemas,
            )
            document.update(describe_problems(generated))
        return JSONResponse(document)

    async def swagger_ui(request: Request) -> HTMLResponse:
        # Behind a proxy that strips a path prefix, the browser needs it back in the URL.
        root_path = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(openapi_url=f"{root_path}{prefix}/openapi.json", title=title)

    app.add_api_route(f"{prefix}/openapi.json", openapi, include_in_schema=False)
    app.add_api_route(f"{prefix}/docs", swagger_ui, include_in_schema=False)


# --8<-- [end:docs]
