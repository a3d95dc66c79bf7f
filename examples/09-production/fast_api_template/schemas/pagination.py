"""Pagination in the API: offset pages with a total (v1), cursor pages (v2), and the bounds."""

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Offsets beyond this are meaningless for a list, and would overflow PostgreSQL's integers.
MAX_OFFSET = 2**31 - 1


class Page(BaseModel, Generic[ItemT]):
    """One slice of a list, with what a client needs to ask for the next one."""

    model_config = ConfigDict(from_attributes=True)

    items: list[ItemT] = Field(description="The items of this slice, oldest first.")
    total: int = Field(description="How many items match the filters, over all slices.")
    limit: int = Field(description="The most items a slice holds.")
    offset: int = Field(description="How many matching items come before this slice.")


class CursorPage(BaseModel, Generic[ItemT]):
    """One page of a list, and the cursor that asks for the next page (API v2)."""

    items: list[ItemT] = Field(description="The items of this page, oldest first.")
    next_cursor: str | None = Field(
        description="Send it as `cursor` to get the next page; null on the last page."
    )
