"""Pagination as the services see it: offset slices (API v1) and keyset pages (API v2).

Plain dataclasses, not response schemas: each API version decides how a page looks.

A keyset page holds the rows after a position, in `(created_at, id)` order. Unlike an offset,
a position does not shift when rows are added or deleted before it, and the database finds it
through an index instead of counting and skipping every earlier row.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from sqlalchemy import tuple_
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

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


# --8<-- [start:positions]
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


# --8<-- [end:positions]


class Keyed(Protocol):
    """A table model that keyset pagination can sort: it has `created_at` and `id`."""

    created_at: datetime
    id: int | None


RowT = TypeVar("RowT", bound=Keyed)


# --8<-- [start:keyset]
async def keyset_page(
    session: AsyncSession,
    query: SelectOfScalar[RowT],
    *,
    model: type[RowT],
    after: Keyset | None,
    limit: int,
) -> KeysetPage[RowT]:
    """Return the rows of `query` that come after `after`, at most `limit` of them.

    Args:
        session: The database session.
        query: The filtered select, without order or limit.
        model: The table model that `query` selects (for its key columns).
        after: The position of the last row already seen; None for the first page.
        limit: The page size.

    """
    key = tuple_(col(model.created_at), col(model.id))
    if after is not None:
        # A row-value comparison: the id breaks ties between rows created at the same instant.
        query = query.where(key > (after.created_at, after.id))
    # One row more than asked tells whether another page follows, without a COUNT.
    query = query.order_by(col(model.created_at), col(model.id)).limit(limit + 1)
    rows = list(await session.exec(query))
    items = rows[:limit]
    if len(rows) <= limit:
        return KeysetPage(items=items, next_key=None)
    return KeysetPage(items=items, next_key=_position(items[-1]))


def _position(row: Keyed) -> Keyset:
    if row.id is None:
        msg = "a row that was never saved has no position"
        raise ValueError(msg)
    return Keyset(created_at=row.created_at, id=row.id)


# --8<-- [end:keyset]
