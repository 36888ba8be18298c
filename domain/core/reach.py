"""Which rows of every model a scope reaches: one registry, read by every query and change.

Each area declares its models here once (in its `access.py`): the SQL predicate of the rows a
scope reaches, the noun an error names when a row is out of reach, and, for the rows that
belong to a group's configuration, which group clients a change to them makes CHANGED. Lists,
counts, loaders, lookups by code and the write path (domain.core.changes) all ask `visible`,
so a row is hidden the same way from every entry point.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import RowScope

_AREAS = (
    "domain.reference.reach",
    "domain.groups.reach",
    "domain.policies.reach",
    "domain.settings.reach",
    "domain.validation.reach",
    "domain.workflow.reach",
    "domain.access.reach",
    "domain.audit.reach",
    "domain.persisted.reach",
    "domain.intake.reach",
    "domain.events.reach",
    "domain.dynamic.reach",
    "domain.campaigns.reach",
    "domain.documents.reach",
    "domain.mail.reach",
    "domain.reports.reach",
    "domain.webhooks.reach",
    "domain.premiums.reach",
    "domain.catalogue.reach",
)
"""The modules that declare their models; imported on the first question, so that this
module imports no area (areas import it)."""


async def _no_groups(session: AsyncSession, row: Any) -> set[int]:
    return set()


@dataclass(frozen=True)
class Entity:
    """What the write path and the queries need to know of one model."""

    noun: str
    """How a message names a row of it: 'group client', 'policy'."""
    reach: Callable[[RowScope], Any]
    """The SQL predicate of the rows a scope reaches."""
    groups: Callable[[AsyncSession, Any], Awaitable[set[int]]] = _no_groups
    """The group clients whose configuration holds the row: a change to it makes them CHANGED."""
    restriction_fields: tuple[str, ...] = ()
    """The input fields that set the row's own restrictions (data access group, line)."""
    omit: frozenset[str] = field(default_factory=frozenset)
    """Columns the audit trail must never hold (a key's hash)."""
    snapshot: Callable[[AsyncSession, Any], Awaitable[dict[str, Any]]] | None = None
    """The state the audit trail keeps; by default the row's own columns."""
    concerns: Callable[[AsyncSession, Any], Awaitable[set[int]]] | None = None
    """The group clients an event about the row concerns beyond its `groups` (a policy's
    employer, a request's): a change to it makes them not CHANGED, but their feed shows it."""


_ENTITIES: dict[type, Entity] = {}


def declare(model: type, entity: Entity) -> None:
    """Register how rows of `model` are reached, named and grouped."""
    _ENTITIES[model] = entity


_LOADED: list[bool] = []


def load_areas() -> None:
    """Import every area's declarations, once.

    Not "once any model is declared": an area imported for its predicates declares its own
    models long before the first change to another area's asks for theirs.
    """
    if not _LOADED:
        for name in _AREAS:
            importlib.import_module(name)
        _LOADED.append(True)


def entity(model: type) -> Entity:
    """The declaration of `model`; a model nobody declared is a bug, never an open door."""
    load_areas()
    try:
        return _ENTITIES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no reach declared in domain.core.reach") from None


def visible(scope: RowScope, model: type) -> Any:
    """The SQL predicate of the rows of `model` that `scope` reaches."""
    return entity(model).reach(scope)


def declared() -> Iterable[type]:
    """Every model with a declaration (for the tests that hold every model to the rules)."""
    load_areas()
    return tuple(_ENTITIES)
