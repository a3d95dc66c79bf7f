"""Pagination as the services see it: offset slices (API v1) and keyset pages (API v2).

Plain dataclasses, not response schemas: each API version decides how a page looks.

A keyset page holds the rows after a position, in `(created_at, id)` order. Unlike an offset,
a position does not shift when rows are added or deleted before it, and the database finds it
through an index instead of counting and skipping every earlier row.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Row, tuple_
from sqlalchemy.sql import Select
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


class Keyed(Protocol):
    """A table model that keyset pagination can sort: it has `created_at` and `id`."""

    created_at: datetime
    id: int | None


# --8<-- [start:keyset]
async def keyset_page(
    session: AsyncSession,
    query: Select[Any] | SelectOfScalar[Any],
    *,
    model: type[Keyed],
    after: Keyset | None,
    limit: int,
) -> KeysetPage[Row[Any]]:
    """Return the rows of `query` that come after `after`, at most `limit` of them.

    A list is read-only, so its rows come back as plain rows, through the session's
    connection: no ORM object is built, tracked for changes or kept in the session's identity
    map. The `task_list` benchmark measures the list against a single file that does the same
    work.

    Args:
        session: The database session.
        query: The filtered select of a table model, without order or limit.
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
    connection = await session.connection()
    rows = list((await connection.execute(query)).all())
    items = rows[:limit]
    if len(rows) <= limit:
        return KeysetPage(items=items, next_key=None)
    last = items[-1]
    return KeysetPage(items=items, next_key=Keyset(created_at=last.created_at, id=last.id))


# --8<-- [end:keyset]
