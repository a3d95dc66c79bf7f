"""Offset pagination in the API: the bounds of `limit` and `offset`, and the page's body."""

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
