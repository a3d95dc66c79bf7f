"""Offset pagination, as the services see it: which slice of a list, and the slice itself.

Plain dataclasses, not response schemas: each API version decides how a page looks.
"""

from dataclasses import dataclass
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class PageParams:
    """Which slice of a list to return."""

    limit: int
    offset: int = 0


@dataclass(frozen=True)
class OffsetPage(Generic[ItemT]):
    """One slice of a list, with the number of items that match over all slices."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int
