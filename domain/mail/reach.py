"""Outgoing mail is the server's own: only a scope reaching everything (an admin) reads it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authz.access import RowScope
from domain.core.reach import Entity, declare
from domain.mail.models import OutgoingMail


def operators(scope: RowScope) -> Any:
    """Every message for an admin; none for anyone else (they name other people's addresses)."""
    return sa.true() if scope.everything else sa.false()


declare(OutgoingMail, Entity(noun="message", reach=operators))
