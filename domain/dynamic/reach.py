"""Dynamic field definitions are the insurer's configuration: whoever may read the rows they
describe reads them all (the values follow their own usage restriction)."""

from __future__ import annotations

from domain.core.reach import Entity, declare
from domain.dynamic.models import DynamicField
from domain.reference.reach import everyone

declare(DynamicField, Entity(noun="dynamic field", reach=everyone))
