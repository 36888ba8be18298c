"""Trusted documents are the operators': whoever may change them reaches them all."""

from __future__ import annotations

from domain.core.reach import Entity, declare
from domain.persisted.models import TrustedDocument
from domain.reference.reach import everyone

declare(TrustedDocument, Entity(noun="trusted document", reach=everyone))
