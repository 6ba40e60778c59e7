"""The schema is built only by migrations, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import server.models  # noqa: F401


async def test_autogenerate_finds_nothing_to_add(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), SQLModel.metadata
            )
        )
    await engine.dispose()
    assert diff == []


async def test_an_unmigrated_database_is_refused_with_a_clear_message(tmp_path) -> None:
    from server.app import create_app
    from server.config import load_settings
    from server.db import SchemaBehind

    settings = load_settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/empty.db")
    app = create_app(settings, apply_migrations=False)
    try:
        async with app.router.lifespan_context(app):
            raise AssertionError("the app started on an empty database")
    except SchemaBehind as exc:
        assert "run `porch migrate` first" in str(exc)
