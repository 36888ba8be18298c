"""Enrolment files are reached through their group client: whoever reaches it reaches them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from authz.access import SCOPES, RowScope
from domain.core.reach import Entity, declare
from domain.groups import reach as groups
from domain.groups.models import GroupClient
from domain.intake.models import EnrollmentFile, EnrollmentFileRow


@lru_cache(maxsize=SCOPES)
def files(scope: RowScope) -> Any:
    """Files of the group clients the scope reaches."""
    if scope.everything:
        return sa.true()
    reached = sa.select(col(GroupClient.id)).where(groups.clients(scope))
    return col(EnrollmentFile.group_client_id).in_(reached)


@lru_cache(maxsize=SCOPES)
def file_rows(scope: RowScope) -> Any:
    """Rows of the files the scope reaches."""
    if scope.everything:
        return sa.true()
    reached = sa.select(col(EnrollmentFile.id)).where(files(scope))
    return col(EnrollmentFileRow.file_id).in_(reached)


declare(
    EnrollmentFile,
    Entity(noun="enrollment file", reach=files, omit=frozenset({"content", "sender_scope"})),
)
declare(EnrollmentFileRow, Entity(noun="enrollment file row", reach=file_rows))
