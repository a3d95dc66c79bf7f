"""What a request costs the database, from PostgreSQL's own counters rather than the app's log.

`pg_stat_database` counts each database's committed and rolled-back transactions. Every
statement runs in a transaction (alone, if no `BEGIN` came first), so a request that leaves the
count where it was ran no statement at all. The servers' connections publish their counts
once they have been idle for ten seconds (PostgreSQL 15 and later), so a count waits for that.
The counts are read from the maintenance database, so that reading them adds none.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from benchmarks.services import MAINTENANCE_DATABASE, Database

# How long the servers' connections must stay idle before PostgreSQL has their counts.
FLUSH_SECONDS = 11.0
_COUNT = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1"


def transactions_per_request(
    database: Database, send: Callable[[], None], requests: int
) -> float | None:
    """Return the transactions per request of `requests` requests that `send` makes.

    None on SQLite, which keeps no such counters.
    """
    if database.kind != "postgresql":
        return None
    time.sleep(FLUSH_SECONDS)
    before = _transactions(database)
    send()
    time.sleep(FLUSH_SECONDS)
    return (_transactions(database) - before) / requests


def _transactions(database: Database) -> int:
    # Imported when used: a smoke run on SQLite does not load the driver.
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(database.url)

    async def count() -> int:
        connection = await asyncpg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            database=MAINTENANCE_DATABASE,
        )
        try:
            return int(await connection.fetchval(_COUNT, url.database))
        finally:
            await connection.close()

    return asyncio.run(count())
