"""Cursors carry a position faithfully, and refuse any change."""

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from fast_api_template.schemas.pagination import Keyset
from fast_api_template.services.exceptions import InvalidCursorError
from fast_api_template.utils.cursor import decode_cursor, encode_cursor

SECRET = "s" * 32
KEY = Keyset(created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), id=7)


def test_a_cursor_gives_back_its_position_exactly() -> None:
    cursor = encode_cursor(KEY, scope="projects", secret=SECRET)

    assert decode_cursor(cursor, scope="projects", secret=SECRET) == KEY
    assert "=" not in cursor  # base64url without padding: safe in a query string as it is


def test_a_cursor_keeps_the_timezone() -> None:
    key = Keyset(created_at=datetime(2026, 1, 2, tzinfo=timezone(timedelta(hours=2))), id=1)

    decoded = decode_cursor(encode_cursor(key, scope="p", secret=SECRET), scope="p", secret=SECRET)

    assert decoded.created_at == key.created_at
    assert decoded.created_at.utcoffset() == timedelta(hours=2)


def test_a_cursor_is_readable_but_opaque_to_clients() -> None:
    payload = encode_cursor(KEY, scope="projects", secret=SECRET).split(".")[0]

    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    assert data == {"scope": "projects", "created_at": "2026-01-02T03:04:05.678901+00:00", "id": 7}


def forge(**changes: object) -> str:
    cursor = encode_cursor(KEY, scope="projects", secret=SECRET)
    payload, signature = cursor.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited = base64.urlsafe_b64encode(json.dumps({**data, **changes}).encode()).rstrip(b"=")
    return f"{edited.decode()}.{signature}"


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        pytest.param(forge(id=8), "not issued by this service", id="edited-id"),
        pytest.param(forge(scope="tasks"), "not issued by this service", id="edited-scope"),
        pytest.param(
            encode_cursor(KEY, scope="projects", secret="o" * 32),
            "not issued by this service",
            id="other-secret",
        ),
        pytest.param(
            encode_cursor(KEY, scope="projects/1/tasks", secret=SECRET),
            "another list",
            id="other-list",
        ),
        pytest.param("nodot", "malformed", id="no-dot"),
        pytest.param("a.b.c", "malformed", id="three-parts"),
        pytest.param("%%%.***", "malformed", id="not-base64"),
        pytest.param("", "malformed", id="empty"),
    ],
)
def test_a_changed_or_foreign_cursor_is_refused(cursor: str, message: str) -> None:
    with pytest.raises(InvalidCursorError, match=message):
        decode_cursor(cursor, scope="projects", secret=SECRET)
