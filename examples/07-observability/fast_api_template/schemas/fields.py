"""Field rules shared by the schemas."""

from pydantic import AfterValidator


def _storable(value: str) -> str:
    # PostgreSQL rejects NUL characters and text that is not valid UTF-8 (a lone surrogate such
    # as "\ud800" is valid JSON): refuse them here as a 422, not in the database as a 500.
    if "\x00" in value:
        msg = "must not contain NUL characters"
        raise ValueError(msg)
    try:
        value.encode()
    except UnicodeEncodeError:
        msg = "must be valid Unicode text"
        raise ValueError(msg) from None
    return value


def not_null(value: object) -> object:
    """Refuse null, for the field_validator of an optional field that is not nullable.

    In an update schema a field that is left out stays unchanged, so it defaults to None;
    but a client that sends null for a column that cannot be null gets a 422, not a 500.
    """
    if value is None:
        msg = "may be left out, but not null"
        raise ValueError(msg)
    return value


Storable = AfterValidator(_storable)
"""Text that every supported database can store: use it on every string field."""
