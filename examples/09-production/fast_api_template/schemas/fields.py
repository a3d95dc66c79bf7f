"""Field rules shared by the schemas."""

import re
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

# Control characters but tab, line feed and carriage return: C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The same rule for the OpenAPI document, as a JSON Schema pattern, so that clients and API
# fuzzers know it: text without those characters.
STORABLE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


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


class _StorableText:
    """Check a string with `_storable` after its other rules, and document the rule."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_storable, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = STORABLE_PATTERN
        return json_schema


Storable = _StorableText()
"""Text that every supported database can store: use it on every string field."""
