"""Who reaches webhooks: an admin every endpoint, anyone else the endpoints they made.

An endpoint's deliveries are reached with it. Its secret never enters the audit trail.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from authz.access import SCOPES, RowScope
from domain.core.reach import Entity, declare
from domain.webhooks.models import WebhookDelivery, WebhookEndpoint

_SECRET = frozenset({"secret"})


@lru_cache(maxsize=SCOPES)
def endpoints(scope: RowScope) -> Any:
    """Endpoints the scope reaches: all for an admin, else its holder's own."""
    if scope.everything:
        return sa.true()
    if scope.subject is None:
        return sa.false()
    return col(WebhookEndpoint.owner) == scope.subject


@lru_cache(maxsize=SCOPES)
def deliveries(scope: RowScope) -> Any:
    """Deliveries to an endpoint the scope reaches."""
    if scope.everything:
        return sa.true()
    return col(WebhookDelivery.endpoint_id).in_(
        sa.select(col(WebhookEndpoint.id)).where(endpoints(scope))
    )


declare(WebhookEndpoint, Entity(noun="webhook endpoint", reach=endpoints, omit=_SECRET))
declare(WebhookDelivery, Entity(noun="webhook delivery", reach=deliveries))
