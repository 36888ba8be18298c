"""`groupcover reference load FILE`: the insurer's reference data from a YAML or JSON file.

The file is loaded as an admin would enter it, through the same domain services as the
reference data mutations (domain.reference.loading), in one transaction.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from authz.access import REFERENCE_WRITE, Access
from authz.principal import Principal, Role
from domain.database import create_engine, session_factory
from domain.reference.loading import Loaded, LoadRefused, load_reference

SUBJECT = "reference-load"
"""Who the audit trail names as having made the changes of a load."""


def load_file(path: str, *, database_url: str) -> int:
    """Load the file, print what it did or why nothing was written; the exit status."""
    try:
        data = _read(Path(path))
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"groupcover: {path} not loaded, nothing was written: {error}", file=sys.stderr)
        return 1
    try:
        loaded = asyncio.run(_load(data, database_url))
    except LoadRefused as refused:
        print(f"groupcover: {path} not loaded, nothing was written:", file=sys.stderr)
        for entry in refused.errors:
            print(f"  {entry}", file=sys.stderr)
        return 1
    print(f"{path}: {summary(loaded)}")
    return 0


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


async def _load(data: Any, database_url: str) -> Loaded:
    actor = Access(Principal(SUBJECT, frozenset({Role.ADMIN}))).actor(REFERENCE_WRITE)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            try:
                loaded = await load_reference(session, actor=actor, data=data)
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
            return loaded
    finally:
        await engine.dispose()


_ONE = {
    "lines of business": "line of business",
    "data access groups": "data access group",
    "products": "product",
    "product parameters": "product parameter",
}


def summary(loaded: Loaded) -> str:
    """One line: what was added and changed, or that nothing was."""
    if loaded.nothing:
        return "already up to date, nothing changed."
    parts = [
        f"{', '.join(f'{n} {_ONE[kind] if n == 1 else kind}' for kind, n in counts.items() if n)} "
        f"{verb}"
        for counts, verb in ((loaded.added, "added"), (loaded.changed, "changed"))
        if +counts
    ]
    return "; ".join(parts) + "."
