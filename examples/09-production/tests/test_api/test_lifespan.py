"""Start-up never changes the schema, in any environment, and in prod never touches the database."""

from pathlib import Path

import pytest
from conftest import production_settings
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from fast_api_template.app import create_app
from fast_api_template.config import Environment, Settings

pytestmark = pytest.mark.anyio


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("env", [Environment.DEV, Environment.TEST])
async def test_start_up_leaves_the_schema_to_the_migrations(
    tmp_path: Path, env: Environment
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    app = create_app(Settings(env=env, database={"url": url}))

    async with app.router.lifespan_context(app):
        pass

    assert await table_names(url) == set()


async def test_production_start_up_does_not_touch_the_database() -> None:
    # Nothing listens on the database's port: any attempt to connect would fail start-up.
    app = create_app(production_settings())

    async with app.router.lifespan_context(app):
        assert app.state.resources.session_factory is not None
