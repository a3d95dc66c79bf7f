"""Security headers: which ones a response gets, worked out once, applied by the edge."""

from collections.abc import Collection
from typing import Final

RawHeaders = list[tuple[bytes, bytes]]
"""Headers as ASGI carries them: (lower-case name, value) pairs of bytes."""

# An API answers JSON: it loads nothing, runs no script and is never framed.
API_CSP: Final = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The docs pages are HTML: Swagger UI and ReDoc load their code from a CDN and start it with
# an inline script; ReDoc adds web fonts and a search worker. Only those pages get this policy.
DOCS_CSP: Final = (
    "default-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
    "worker-src blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HSTS: Final = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """The browser security headers of a response, by the kind of request it answers.

    There are only four kinds (an API or a docs page, with or without credentials), so the
    four lists are built once, and a request costs a lookup.

    Args:
        docs_paths: Paths of HTML documentation pages, which get a looser CSP.
        hsts: Send Strict-Transport-Security: only where the service is reached over HTTPS,
            since browsers then refuse plain HTTP to this host for two years.

    """

    def __init__(self, *, docs_paths: Collection[str], hsts: bool) -> None:
        self.docs_paths = frozenset(docs_paths)
        self._headers = {
            (docs, authenticated): _security_headers(
                csp=DOCS_CSP if docs else API_CSP, hsts=hsts, authenticated=authenticated
            )
            for docs in (False, True)
            for authenticated in (False, True)
        }

    def for_request(self, path: str, *, authenticated: bool) -> RawHeaders:
        """Return the headers for an answer to a request for `path`."""
        return self._headers[path in self.docs_paths, authenticated]


def _security_headers(*, csp: str, hsts: bool, authenticated: bool) -> RawHeaders:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": csp,
    }
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    if authenticated:
        # An answer to a request with credentials is that user's alone: no cache may keep
        # it, unless the route said otherwise.
        headers["Cache-Control"] = "no-store"
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]
