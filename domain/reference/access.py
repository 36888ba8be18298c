"""Data access group and line of business restrictions as SQL predicates."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from authz.access import RowScope
from domain.reference.models import DataAccessGroup, LineOfBusiness


def restricted(scope: RowScope, data_access_group_id: Any, line_of_business_id: Any) -> Any:
    """Rows whose own data access group and line of business some restriction allows."""
    return sa.or_(
        sa.false(),
        *(
            sa.and_(
                data_access_group_id.in_(
                    sa.select(col(DataAccessGroup.id)).where(
                        col(DataAccessGroup.code).in_(sorted(r.data_access_groups))
                    )
                ),
                line_of_business_id.in_(
                    sa.select(col(LineOfBusiness.id)).where(
                        col(LineOfBusiness.code).in_(sorted(r.lines_of_business))
                    )
                ),
            )
            for r in sorted(scope.restrictions, key=repr)
        ),
    )
