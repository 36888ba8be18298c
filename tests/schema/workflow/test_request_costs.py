"""A request's trial registration prices its policy before and after to know what it costs,
and only once when the request cannot change the premium (a new address, name or refund
account)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import StatementCounter
from tests.factories import Book
from tests.schema.policies.enrol import years_ago
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.costs import cost_facts, priced
from tests.schema.workflow.requests import submitted


def _pricings(statements: StatementCounter) -> int:
    """How many times a policy was priced: each pricing reads its rates once."""
    return sum("FROM premium_rate" in statement for statement in statements.statements)


@pytest.mark.parametrize(
    ("change", "pricings"),
    [
        ({"contact": {"addressLine": "1 Main St", "city": "Springfield"}}, 1),
        ({"birthDate": years_ago(41)}, 2),  # rates go by age
    ],
    ids=["address", "birth-date"],
)
async def test_a_data_change_prices_the_policy_again_only_when_the_premium_can_change(
    cast: Cast,
    book: Book,
    session: AsyncSession,
    statements: StatementCounter,
    change: dict[str, Any],
    pricings: int,
) -> None:
    # given John's policy priced at PS-STD, 100.00 a month whatever his age
    await priced(cast, book, session, "PS-EXEC")
    statements.statements.clear()
    # when his address, or his birth date, changes
    made = await submitted(
        cast.admin, type="DATA_CHANGE", channel="BACK_OFFICE", personId=cast.holder_id, **change
    )
    # then the trial priced his policy once, or before and after; the change costs nothing
    assert _pricings(statements) == pricings
    facts = await cost_facts(session, made)
    assert (facts["premium_change"], facts["employer_cost_change"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
    )
