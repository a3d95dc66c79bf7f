"""Opaque, tamper-evident pagination cursors.

A cursor carries a keyset position between two requests: the JSON of the list's name and of
the last item's `(created_at, id)`, then its HMAC-SHA256 signature, each base64url-encoded
and joined by a dot. A client can read a cursor but cannot forge or edit one, and a cursor
of one list is refused by another, so the server may change the format at any time.
"""

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime

from fast_api_template.schemas.pagination import Keyset
from fast_api_template.services.exceptions import InvalidCursorError


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


def encode_cursor(key: Keyset, *, scope: str, secret: str) -> str:
    """Turn a keyset position into a signed cursor.

    Args:
        key: The sort key of the last item of a page.
        scope: Names the list, e.g. `projects`; the cursor is valid there only.
        secret: The application's secret key.

    """
    payload = json.dumps(
        {"scope": scope, "created_at": key.created_at.isoformat(), "id": key.id},
        separators=(",", ":"),
    ).encode()
    signature = hmac.new(_signing_key(secret), payload, hashlib.sha256).digest()
    return f"{_encode(payload)}.{_encode(signature)}"


def decode_cursor(cursor: str, *, scope: str, secret: str) -> Keyset:
    """Check a cursor's signature and list, and return the position it carries.

    Raises:
        InvalidCursorError: The cursor is malformed, edited, or of another list.

    """
    try:
        encoded_payload, encoded_signature = cursor.split(".")
        payload, signature = _decode(encoded_payload), _decode(encoded_signature)
    except (ValueError, binascii.Error):
        raise InvalidCursorError("The cursor is malformed.") from None
    expected = hmac.new(_signing_key(secret), payload, hashlib.sha256).digest()
    # compare_digest takes as long for a near miss as for a wild guess.
    if not hmac.compare_digest(signature, expected):
        raise InvalidCursorError("The cursor was not issued by this service.")
    # The signature proves that this service wrote the payload, so its shape is known.
    data = json.loads(payload)
    if data["scope"] != scope:
        raise InvalidCursorError("The cursor belongs to another list.")
    return Keyset(created_at=datetime.fromisoformat(data["created_at"]), id=data["id"])


# --8<-- [end:cursor]
