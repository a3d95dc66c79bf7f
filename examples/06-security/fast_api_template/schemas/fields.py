"""Field rules shared by the schemas."""

import re

from pydantic import AfterValidator

# Control characters but tab, line feed and carriage return: C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _storable(value: str) -> str:
    # PostgreSQL rejects NUL characters and text that is not valid UTF-8 (a lone surrogate such
    # as "\ud800" is valid JSON): refuse them here as a 422, not in the database as a 500. The
    # other control characters would be stored, then break terminals, logs and CSV exports.
    if _CONTROL.search(value):
        msg = "must not contain control characters"
        raise ValueError(msg)
    try:
        value.encode()
    except UnicodeEncodeError:
        msg = "must be valid Unicode text"
        raise ValueError(msg) from None
    return value


Storable = AfterValidator(_storable)
"""Text that every supported database can store: use it on every string field."""
