"""Opaque, tamper-evident cursors: signed data that a client can carry but cannot forge.

A cursor is the JSON of a payload and of the name of the list it belongs to (its scope),
then its HMAC-SHA256 signature, each base64url-encoded and joined by a dot. A client can read
a cursor but cannot forge or edit one, and a cursor of one list is refused by another, so the
server may change the format at any time.

This module knows no domain: what a payload means (a position in a list) is decided by its
callers (`api/deps.py`).
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping

Payload = Mapping[str, str | int]
"""What a cursor can carry: a few named strings and integers."""


class CursorError(ValueError):
    """A cursor that is malformed, was edited, or belongs to another list."""


# --8<-- [start:cursor]
def _signing_key(secret: str) -> bytes:
    # A key of its own, derived from the app's secret: a cursor's signature can never be
    # mistaken for any other signature that the same secret makes.
    return hmac.new(secret.encode(), b"pagination-cursor", hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    # validate=True: refuse characters outside the alphabet instead of skipping them.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def encode_cursor(data: Payload, *, scope: str, secret: str) -> str:
    """Sign `data` into a cursor that is valid for one list.

    Args:
        data: What the cursor carries, e.g. the sort key of the last item of a page.
        scope: Names the list, e.g. `projects`; the cursor is valid there only.
        secret: The application's secret key.

    """
    payload = json.dumps({"scope": scope, **data}, separators=(",", ":")).encode()
    signature = hmac.new(_signing_key(secret), payload, hashlib.sha256).digest()
    return f"{_encode(payload)}.{_encode(signature)}"


def decode_cursor(cursor: str, *, scope: str, secret: str) -> dict[str, str | int]:
    """Check a cursor's signature and list, and return the data it carries.

    Raises:
        CursorError: The cursor is malformed, edited, or of another list.

    """
    try:
        encoded_payload, encoded_signature = cursor.split(".")
        payload, signature = _decode(encoded_payload), _decode(encoded_signature)
    except (ValueError, binascii.Error):
        raise CursorError("The cursor is malformed.") from None
    expected = hmac.new(_signing_key(secret), payload, hashlib.sha256).digest()
    # compare_digest takes as long for a near miss as for a wild guess.
    if not hmac.compare_digest(signature, expected):
        raise CursorError("The cursor was not issued by this service.")
    # The signature proves that this service wrote the payload, so its shape is known.
    data: dict[str, str | int] = json.loads(payload)
    if data.pop("scope") != scope:
        raise CursorError("The cursor belongs to another list.")
    return data


# --8<-- [end:cursor]
