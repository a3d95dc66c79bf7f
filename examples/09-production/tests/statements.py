"""Count the SQL statements that code sends: the proof that a number of queries is constant."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def recorded_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Record the statements sent through `engine` while the block runs."""
    statements: list[str] = []
    with recorded_calls(engine) as calls:
        yield statements
    statements.extend(statement for statement, _ in calls)


@contextmanager
def recorded_calls(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Record the statements sent through `engine`, with their parameters, as sent."""
    calls: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        # before_cursor_execute(conn, cursor, statement, parameters, context, executemany)
        calls.append((args[2], args[3]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield calls
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def queries(statements: list[str]) -> list[str]:
    """Keep the statements that read or write data: no BEGIN, COMMIT or SAVEPOINT."""
    return [
        s
        for s in statements
        if s.lstrip().split()[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}
    ]
