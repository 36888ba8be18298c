"""The audit trail is read whole by whoever may read it (an admin)."""

from __future__ import annotations

from domain.audit.models import AuditEvent
from domain.core.reach import Entity, declare
from domain.reference.reach import everyone

declare(AuditEvent, Entity(noun="audit event", reach=everyone))
