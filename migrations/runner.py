"""Applying and checking migrations from code, with no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def config(database_url: str) -> Config:
    """An alembic configuration for this database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Whether autogenerate compares this object: procrastinate's queue tables are its own,
    created by migration 0006 from its schema file rather than from our models."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`."""
    command.upgrade(config(database_url), revision)
