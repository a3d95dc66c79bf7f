"""Cursors carry their data faithfully, and refuse any change."""

import base64
import json

import pytest

from fast_api_template.utils.cursor import CursorError, decode_cursor, encode_cursor

SECRET = "s" * 32
KEY: dict[str, str | int] = {"created_at": "2026-01-02T03:04:05.678901+00:00", "id": 7}


def test_a_cursor_gives_back_its_data_exactly() -> None:
    cursor = encode_cursor(KEY, scope="projects", secret=SECRET)

    assert decode_cursor(cursor, scope="projects", secret=SECRET) == KEY
    assert "=" not in cursor  # base64url without padding: safe in a query string as it is


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
    with pytest.raises(CursorError, match=message):
        decode_cursor(cursor, scope="projects", secret=SECRET)
