"""Grants and API keys are an admin's: whoever may manage access reaches them all.

An API key's state in the audit trail is its record without the hash of its secret, and the
group clients its subject is granted: the grants made with it are part of its change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.principal import GrantKind
from domain.access.models import AccessGrant, ApiKey
from domain.audit.service import snapshot
from domain.core.reach import Entity, declare
from domain.reference.reach import everyone

_SECRET = frozenset({"secret_hash"})


async def _key_state(session: AsyncSession, row: Any) -> dict[str, Any]:
    codes = await session.scalars(
        sa.select(col(AccessGrant.code))
        .where(
            col(AccessGrant.subject) == row.subject,
            col(AccessGrant.role) == row.role,
            col(AccessGrant.kind) == GrantKind.GROUP_CLIENT,
        )
        .order_by(col(AccessGrant.id))
    )
    return {**snapshot(row, omit=_SECRET), "group_client_codes": list(codes)}


declare(AccessGrant, Entity(noun="access grant", reach=everyone))
declare(ApiKey, Entity(noun="API key", reach=everyone, omit=_SECRET, snapshot=_key_state))
