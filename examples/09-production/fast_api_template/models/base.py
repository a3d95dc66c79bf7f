"""What every table shares: constraint names, an integer key, and UTC timestamps."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel
from typing_extensions import override

# Predictable constraint names, so that migrations (stage 09) can drop or alter them by name.
# It must be set before the first table is declared: names are given as tables are defined.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    PostgreSQL keeps the zone (`timestamptz`); SQLite stores text without one, so values read
    from it are marked UTC here. Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC before it is stored."""
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"naive datetime {value!r}: give it a timezone"
            raise ValueError(msg)
        return value.astimezone(UTC)

    @override
    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None] | None:
        """Read values as the driver gives them where it gives them aware and in UTC.

        asyncpg returns every `timestamptz` that way already. Converting again is one Python
        call per timestamp: two per row of a list, a measurable part of reading one.
        """
        if dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    @override
    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return a stored value as an aware datetime in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Ids are PostgreSQL `integer` columns: no id is larger, and a larger number in a query would
# fail in the database. Whatever reads an id from outside (a path, a token) checks it first.
MAX_ID = 2**31 - 1


# --8<-- [start:mixins]
class IdMixin(SQLModel):
    """An integer primary key, given by the database on insert."""

    id: int | None = Field(default=None, primary_key=True)


class TimestampMixin(SQLModel):
    """When a row was created and last changed, in UTC."""

    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(
        default_factory=utc_now,
        sa_type=UTCDateTime,
        nullable=False,
        # Set by SQLAlchemy on every UPDATE of the row through the ORM or a Core update().
        sa_column_kwargs={"onupdate": utc_now},
    )


# --8<-- [end:mixins]
