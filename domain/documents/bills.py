"""Bills as PDF: a month's bill (domain.premiums.bills), as the caller sees it, typeset.

A bill is derived from the charges, never stored, so its PDF is the record of what it said
when it was made. It is a document of the group client billed (and of the policy, when the
client is billed per employee), made only by someone who reaches that subject.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.core import changes
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.database import among
from domain.documents.models import Document, DocumentKind
from domain.documents.producing import produce
from domain.groups.models import GroupClient
from domain.policies.models import Policy
from domain.premiums.bills import Bill, bills
from domain.premiums.calculation import month
from domain.reference.models import Product
from domain.settings.models import BillAllocation, BillingAccount


async def issue_bill(session: AsyncSession, *, actor: Actor, scope: RowScope, key: str) -> Document:
    """Make the PDF of the bill named `key` (Bill.key), of the charges `scope` reaches."""
    period, client_id = _parsed(key)
    found = next(
        (
            b
            for b in await bills(session, scope=scope, period=period, group_client_id=client_id)
            if b.key == key
        ),
        None,
    )
    if found is None:
        raise DomainError.of("key", ErrorCode.NOT_FOUND, "No bill with this key.")
    policy_id = found.part if found.allocation is BillAllocation.PER_EMPLOYEE else None
    if policy_id is not None:
        await changes.load(session, actor, Policy, policy_id, field="key")
    else:
        await changes.load(session, actor, GroupClient, found.group_client_id, field="key")
    return await produce(
        session,
        actor=actor,
        kind=DocumentKind.BILL,
        data=await _data(session, found),
        file_name=f"BILL-{key.replace(':', '-')}.pdf",
        policy_id=policy_id,
        group_client_id=found.group_client_id,
    )


def _parsed(key: str) -> tuple[str, int]:
    """The month and the group client a bill's key names; INVALID_FORMAT if it names none."""
    parts = key.split(":")
    try:
        month(parts[0])
        if len(parts) != 5:
            raise ValueError(key)
        return parts[0], int(parts[1])
    except ValueError:
        said = "A bill's key as `bills` gives it, e.g. 2027-01:12:-:-:EUR."
        raise DomainError.of("key", ErrorCode.INVALID_FORMAT, said) from None


async def _data(session: AsyncSession, bill: Bill) -> dict[str, object]:
    """What the template is given: the bill's heading, totals and a column per field."""
    policies = await _names(session, Policy.id, Policy.number, [x.policy_id for x in bill.lines])
    products = await _names(session, Product.id, Product.code, [x.product_id for x in bill.lines])
    client = await session.scalar(
        sa.select(col(GroupClient.name)).where(col(GroupClient.id) == bill.group_client_id)
    )
    account = await session.get(BillingAccount, bill.billing_account_id or -1)
    return {
        "billKey": bill.key,
        "period": bill.period,
        "groupClient": client or "",
        "billingAccount": f"{account.code} {account.name}" if account else "none set",
        "allocation": bill.allocation.value,
        "currency": bill.currency,
        "total": _money(bill.total),
        "employerTotal": _money(bill.employer_total),
        "employeeTotal": _money(bill.employee_total),
        "commission": _money(bill.commission),
        "issuedAt": utcnow().isoformat(timespec="seconds"),
        "linePolicies": [policies.get(x.policy_id, "") for x in bill.lines],
        "lineProducts": [products.get(x.product_id, "") for x in bill.lines],
        "lineAmounts": [_money(x.amount) for x in bill.lines],
        "lineEmployerShares": [_money(x.employer_amount) for x in bill.lines],
        "lineEmployeeShares": [_money(x.employee_amount) for x in bill.lines],
    }


async def _names(session: AsyncSession, key: Any, name: Any, ids: list[int]) -> dict[int, str]:
    """A name column of rows by id (of the lines' policies, which the caller reached)."""
    stmt = sa.select(col(key), col(name)).where(among(session, col(key), set(ids)))
    return {row_id: text for row_id, text in await session.execute(stmt)}


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"
