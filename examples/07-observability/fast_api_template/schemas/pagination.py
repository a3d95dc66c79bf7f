"""Pagination: offset pages with a total (API v1) and keyset pages with a cursor (API v2)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Offsets beyond this are meaningless for a list, and would overflow PostgreSQL's integers.
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class PageParams:
    """Which slice of a list to return."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


# --8<-- [start:page]
class Page(BaseModel, Generic[ItemT]):
    """One slice of a list, with what a client needs to ask for the next one."""

    model_config = ConfigDict(from_attributes=True)

    items: list[ItemT] = Field(description="The items of this slice, oldest first.")
    total: int = Field(description="How many items match the filters, over all slices.")
    limit: int = Field(description="The most items a slice holds.")
    offset: int = Field(description="How many matching items come before this slice.")


# --8<-- [end:page]


# --8<-- [start:keyset]
@dataclass(frozen=True)
class Keyset:
    """A position in a list sorted by `(created_at, id)`: the key of the last item seen."""

    created_at: datetime
    id: int


@dataclass(frozen=True)
class KeysetPage(Generic[ItemT]):
    """The items after a position, and the position of the last one when more follow."""

    items: list[ItemT]
    next_key: Keyset | None


class CursorPage(BaseModel, Generic[ItemT]):
    """One page of a list, and the cursor that asks for the next page (API v2)."""

    items: list[ItemT] = Field(description="The items of this page, oldest first.")
    next_cursor: str | None = Field(
        description="Send it as `cursor` to get the next page; null on the last page."
    )


# --8<-- [end:keyset]
