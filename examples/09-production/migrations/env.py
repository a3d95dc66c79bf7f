"""How Alembic reaches the database: the service's own settings, the models' own metadata.

`alembic upgrade head` reads the database URL where the service reads it: the environment
(`FAST_API_TEMPLATE_DATABASE__URL`) and the `.env` files, never a file of Alembic's. A program
that holds a connection already (the tests) hands it over in `config.attributes["connection"]`,
and the migrations run on it.
"""

import asyncio
import logging
from typing import Any, Literal

import alembic.context
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

# Registers every table on SQLModel.metadata, under the naming convention of models/base.py.
import fast_api_template.models  # noqa: F401
from fast_api_template.config import ConfigurationError, Settings, load_settings
from fast_api_template.core.logging import configure_logging
from fast_api_template.db import wait_for_database

config = alembic.context.config
target_metadata = SQLModel.metadata


# --8<-- [start:numbering]
def number_the_revision(
    _context: MigrationContext, _revision: object, directives: list[MigrationScript]
) -> None:
    """Name a new revision after the one before it: 0001, 0002, ...

    Numbers in order let the service compare revisions (`is_behind` in db.py). Two branches
    that both add 0002 collide on the name, as they should: one of them renumbers.
    """
    head = ScriptDirectory.from_config(config).get_current_head()
    for script in directives:
        script.rev_id = f"{int(head or 0) + 1:04d}"


# --8<-- [end:numbering]


def render_item(type_: str, item: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write the models' own column types as the plain SQLAlchemy types that they store.

    A revision then imports nothing from the service, and keeps working when the models
    change or move.
    """
    if type_ == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl_instance!r}"
    return False


def configure(**options: Any) -> None:
    """Configure the migration context the same way online, offline, and for `alembic check`."""
    alembic.context.configure(
        target_metadata=target_metadata,
        # Batch operations copy a table to change it on SQLite, which cannot ALTER most
        # things; on PostgreSQL they are plain ALTERs. Always on, so that every revision runs
        # on both backends, whichever one it was generated against.
        render_as_batch=True,
        render_item=render_item,
        process_revision_directives=number_the_revision,
        **options,
    )


def run_on(connection: Connection) -> None:
    """Run the migrations on an open connection, in one transaction where the backend can."""
    configure(connection=connection)
    with alembic.context.begin_transaction():
        alembic.context.run_migrations()


def settings_or_exit() -> Settings:
    """Read the service's settings, or stop with the variables to fix."""
    try:
        settings = load_settings()
    except ConfigurationError as error:
        raise SystemExit(str(error)) from None
    configure_logging(settings.log.level, json_logs=settings.log.format == "json")
    # Alembic lists its autogenerate plugins at INFO: lines that say nothing about the schema.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return settings


async def run_online(url: str) -> None:
    """Connect to the database at `url` and run the migrations there."""
    # Not the service's engine (db.py): a migration may run longer than the statement timeout
    # of a request, and on SQLite foreign keys stay off, so that a table copied by a batch
    # operation does not cascade-delete the rows that point at it.
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        # A platform may start this before the database: wait for it, for a bounded time.
        await wait_for_database(engine)
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


def run_offline(url: str) -> None:
    """Write the migrations' SQL instead of running it (`alembic upgrade head --sql`)."""
    configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with alembic.context.begin_transaction():
        alembic.context.run_migrations()


def main() -> None:
    """Run the migrations on the connection given, or on the database that the settings name."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = settings_or_exit().database.url.get_secret_value()
    if alembic.context.is_offline_mode():
        run_offline(url)
    else:
        asyncio.run(run_online(url))


main()
