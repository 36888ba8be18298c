"""Grants and API keys are an admin's: whoever may manage access reaches them all."""

from __future__ import annotations

from domain.access.models import AccessGrant, ApiKey
from domain.core.reach import Entity, declare
from domain.reference.reach import everyone

declare(AccessGrant, Entity(noun="access grant", reach=everyone))
declare(ApiKey, Entity(noun="API key", reach=everyone, omit=frozenset({"secret_hash"})))
