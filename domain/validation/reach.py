"""Validation rules are the insurer's configuration: whoever may read them reads them all."""

from __future__ import annotations

from domain.core.reach import Entity, declare
from domain.reference.reach import everyone
from domain.validation.models import ValidationRule

declare(ValidationRule, Entity(noun="validation rule", reach=everyone))
