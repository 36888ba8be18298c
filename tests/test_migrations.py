"""The migrations build exactly the tables the models describe, on every database."""

from __future__ import annotations

import pytest
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


async def test_a_clients_children_are_read_from_an_index_alone(engine: AsyncEngine) -> None:
    # given a database migrated to head
    # when
    async with engine.connect() as connection:
        indexes = await connection.run_sync(
            lambda sync: sa.inspect(sync).get_indexes("group_client")
        )
    # then the walk down a granted subtree finds each client's children's ids in one index (0031)
    assert any(index["column_names"] == ["parent_id", "id"] for index in indexes), indexes


# Each foreign key of ours (procrastinate's tables are its own, as in migrations.runner.ours)
# with no valid, non-partial index whose leading columns are the key's columns, in any order.
# pg_index.indkey is an int2vector, subscripted from 0.
_UNINDEXED_FOREIGN_KEYS = sa.text(
    """
    SELECT c.conrelid::regclass::text AS referencing, c.conname AS foreign_key
    FROM pg_constraint c
    WHERE c.contype = 'f'
      AND c.connamespace = current_schema()::regnamespace
      AND c.conrelid::regclass::text NOT LIKE 'procrastinate\\_%'
      AND NOT EXISTS (
        SELECT 1 FROM pg_index i
        WHERE i.indrelid = c.conrelid
          AND i.indisvalid
          AND i.indpred IS NULL
          AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
          AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
      )
    ORDER BY 1, 2
    """
)


async def test_every_foreign_key_leads_an_index(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("reads PostgreSQL's catalog")
    # given a database migrated to head
    # when
    async with engine.connect() as connection:
        unindexed = (await connection.execute(_UNINDEXED_FOREIGN_KEYS)).all()
    # then deleting a referenced row, or joining on the key, reads an index, not the table
    assert unindexed == [], (
        "Foreign keys with no index leading with their columns (add `index=True` to the "
        f"model's field and a migration): {unindexed}"
    )
