"""Exports are their requester's: whoever asked for one sees it and downloads it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from authz.access import SCOPES, RowScope
from domain.core.reach import Entity, declare
from domain.reports.models import Export


@lru_cache(maxsize=SCOPES)
def exports(scope: RowScope) -> Any:
    """The exports the scope's holder asked for (every export, for an admin's)."""
    if scope.everything:
        return sa.true()
    if scope.subject is None:
        return sa.false()
    return col(Export.requested_by) == scope.subject


declare(
    Export,
    Entity(noun="export", reach=exports, omit=frozenset({"scope", "groups_scope", "file_path"})),
)
