"""HTTP caching of one resource: an ETag, and 304 Not Modified when the client's copy is current.

A client that sends back the ETag in `If-None-Match` gets a 304 without a body when nothing
changed: less to send, less to parse. The answer is the user's own, so it is `private` (a
shared cache must not keep it) and `no-cache` (the browser may keep it, but asks first).
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from http import HTTPStatus
from typing import Annotated, Any, Final, Generic, Protocol, TypeVar

from fastapi import Header, Response
from pydantic import BaseModel, TypeAdapter

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


# --8<-- [start:answers]
ValueT = TypeVar("ValueT")
# Hex digits of the body's digest in an answer's ETag.
ETAG_LENGTH: Final = 16


@dataclass(frozen=True)
class Answer:
    """The JSON body of a read, as the client receives it, and the ETag that names it."""

    body: bytes
    etag: str

    def respond(self, if_none_match: str | None) -> Response:
        """Answer 304 when the client's copy is current, else the body with its ETag."""
        headers = {"ETag": self.etag, "Cache-Control": CACHE_CONTROL}
        if if_none_match is not None and _matches(self.etag, if_none_match):
            return Response(status_code=HTTPStatus.NOT_MODIFIED, headers=headers)
        return Response(self.body, media_type="application/json", headers=headers)


class Answers(Generic[ValueT]):
    """The answers of one read, kept in a cache as what the client receives.

    An entry is the generation of the data it was made from, a signature, and the body. It
    is served only for that generation, and only if this service signed it: whoever can
    write to the cache can put any bytes there, and those are a miss. The signature (an
    HMAC of a few microseconds) proves where the bytes come from without parsing them;
    validating the body against its schema instead took longer than the rest of a cached
    read's own work (the `cache` benchmark).

    Args:
        shape: The type of the body, as a pydantic `TypeAdapter`.

    """

    def __init__(self, shape: TypeAdapter[ValueT]) -> None:
        self.shape = shape
        # Part of each entry's key: a release that changes the body's schema reads none of
        # the entries that the release before wrote, and they expire on their own.
        schema = json.dumps(shape.json_schema(), sort_keys=True).encode()
        self.version = hashlib.sha256(schema).hexdigest()[:ETAG_LENGTH]

    def make(self, value: ValueT) -> Answer:
        """Serialise `value` once, and name it by its digest."""
        body = self.shape.dump_json(value)
        return Answer(body=body, etag=_etag(body))

    @staticmethod
    def encode(answer: Answer, generation: int, *, key: bytes) -> bytes:
        """Return the signed cache entry of `answer`, made from the data of `generation`."""
        signed = b"%d\n%s" % (generation, answer.body)
        return hmac.new(key, signed, hashlib.sha256).hexdigest().encode() + b"\n" + signed

    @staticmethod
    def decode(stored: object, generation: int, *, key: bytes) -> Answer | None:
        """Return the answer of an entry if it is current and this service signed it."""
        if not isinstance(stored, bytes):
            return None
        signature, _, signed = stored.partition(b"\n")
        head, _, body = signed.partition(b"\n")
        if head != b"%d" % generation:
            return None
        expected = hmac.new(key, signed, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(signature, expected):
            return None
        return Answer(body=body, etag=_etag(body))


# Asked for on every cached read, with the same secret key: derived once per key.
@lru_cache(maxsize=4)
def signing_key(secret: str) -> bytes:
    """Derive the key that signs cached answers from the app's secret key.

    A key of its own, so that a signature made for the cache is worth nothing elsewhere. A
    new secret key turns every cached answer into a miss, which is refilled.
    """
    return hmac.new(secret.encode(), b"cached-answers", hashlib.sha256).digest()


def _etag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:ETAG_LENGTH]}"'


# --8<-- [end:answers]
