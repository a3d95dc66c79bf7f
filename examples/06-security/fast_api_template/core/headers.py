"""Security headers on every response, as a pure ASGI middleware."""

from collections.abc import Collection

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# An API answers JSON: it loads nothing, runs no script and is never framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The docs pages are HTML: Swagger UI and ReDoc load their code from a CDN and start it with
# an inline script; ReDoc adds web fonts and a search worker. Only those pages get this policy.
DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
    "worker-src blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Add browser security headers to every HTTP response that does not set its own.

    A response to a request that carries credentials also gets `Cache-Control: no-store`.

    Args:
        app: The ASGI app to wrap.
        docs_paths: Paths of HTML documentation pages, which get a looser CSP.
        hsts: Send Strict-Transport-Security: only where the service is reached over HTTPS,
            since browsers then refuse plain HTTP to this host for two years.

    """

    def __init__(self, app: ASGIApp, *, docs_paths: Collection[str], hsts: bool) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the start of the response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in self.docs_paths else API_CSP
        authenticated = any(name == b"authorization" for name, _ in scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Content-Security-Policy", csp)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if authenticated:
                    # An answer to a request with credentials is that user's alone: no cache
                    # may keep it, unless the route said otherwise.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
