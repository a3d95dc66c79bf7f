"""HTTP caching of one resource: an ETag, and 304 Not Modified when the client's copy is current.

A client that sends back the ETag in `If-None-Match` gets a 304 without a body when nothing
changed: less to send, less to parse. The answer is the user's own, so it is `private` (a
shared cache must not keep it) and `no-cache` (the browser may keep it, but asks first).
"""

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Final, Protocol

from fastapi import Header, Response
from pydantic import BaseModel

from fast_api_template.schemas.fields import Storable

CACHE_CONTROL: Final = "private, no-cache"
# An If-None-Match lists a few tags; a longer one is not a client's cache talking.
MAX_IF_NONE_MATCH_LENGTH: Final = 1000

NOT_MODIFIED: Final[dict[int | str, dict[str, Any]]] = {
    HTTPStatus.NOT_MODIFIED: {"description": "Your copy, named by If-None-Match, is current"}
}

IfNoneMatch = Annotated[
    Annotated[str, Storable] | None,
    Header(
        max_length=MAX_IF_NONE_MATCH_LENGTH,
        description="The ETag of your copy: 304 without a body if it is still current.",
    ),
]


class Versioned(Protocol):
    """A stored resource: it has an id and the time of its last change."""

    id: int | None
    updated_at: datetime


# --8<-- [start:etag]
def etag_of(resource: Versioned) -> str:
    """Name one version of a resource: a weak ETag from its kind, its id and its last change."""
    kind = type(resource).__name__.lower()
    return f'W/"{kind}-{resource.id}-{resource.updated_at.timestamp():.6f}"'


def conditional(body: BaseModel, etag: str, if_none_match: str | None) -> Response:
    """Answer 304 when the client's copy is current, else the body with its ETag."""
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and _matches(etag, if_none_match):
        return Response(status_code=HTTPStatus.NOT_MODIFIED, headers=headers)
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)


def _matches(etag: str, if_none_match: str) -> bool:
    # RFC 9110, section 13.1.2: a list of tags or "*", compared weakly (W/ is ignored).
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


# --8<-- [end:etag]
