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


def test_the_latest_migrations_are_read_as_alembic_reads_them() -> None:
    """A server whose database is up to date starts without loading Alembic: the heads
    it reads from the migration files are Alembic's."""
    from alembic.script import ScriptDirectory

    from server.db import alembic_config, head_revisions

    assert head_revisions() == set(ScriptDirectory.from_config(alembic_config("")).get_heads())


async def test_an_up_to_date_database_is_opened_without_alembic(tmp_path) -> None:
    """Serving a migrated SQLite database checks its version and goes on: the serving
    process never imports Alembic (about 10 MB resident, with Mako and Pygments)."""
    import subprocess
    import sys

    from server import ROOT
    from server.db import migrate_blocking
    from tests.conftest import in_thread

    database = f"sqlite+aiosqlite:///{tmp_path}/porch.db"
    in_thread(lambda: migrate_blocking(database))
    script = f"""
import asyncio, sys
from server.db import make_engine, migrate
async def main():
    engine = make_engine({database!r})
    await migrate(engine)
    await engine.dispose()
asyncio.run(main())
print(sorted({{m.split(".")[0] for m in sys.modules}} & {{"alembic", "mako", "pygments"}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stderr
