"""The migrations build exactly the tables the models describe, on every database."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from domain.database import all_models
from migrations.runner import config, ours


def _differences(connection) -> list:
    all_models()
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": ours}
    )
    return compare_metadata(context, SQLModel.metadata)


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    # given a database migrated to head (the engine fixture)
    # when
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    # then
    assert differences == [], (
        "Models and migrations differ; add a migration with "
        "`alembic revision --autogenerate -m '...'`: " + repr(differences)
    )


def test_migrations_have_one_head() -> None:
    heads = ScriptDirectory.from_config(config("sqlite://")).get_heads()
    assert len(heads) == 1, heads


async def test_a_charges_reversal_is_found_by_an_index(engine: AsyncEngine) -> None:
    # given a database migrated to head
    # when
    async with engine.connect() as connection:
        indexes = await connection.run_sync(
            lambda sync: sa.inspect(sync).get_indexes("premium_charge")
        )
    # then a lookup by the charge a reversal cancels reads an index, not the table
    assert any(index["column_names"][0] == "reverses_id" for index in indexes), indexes
