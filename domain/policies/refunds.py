"""Where the insurer pays a member's refunds: a bank account (IBAN) on their membership.

The account is what one employer's policy knows of the member, never the shared person: the
same person insured through two employers may have their refunds paid to two accounts, and
neither employer sees the other's. It is validated by python-stdnum, which knows each
country's IBAN length and account structure as well as the check digits.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.fields import is_plain_text
from domain.policies.enrolment import active_rows
from domain.policies.limits import PolicyLimits
from domain.policies.models import Policy
from domain.policies.state import settle

MAX_INPUT = 64
"""Characters of an IBAN as typed, spaces included (an IBAN has at most 34 without)."""


def clean_iban(field: tuple[str, ...], value: str, problems: list[Problem]) -> str | None:
    """The IBAN in its compact form (DE89370400440532013000), or None with a problem."""
    if len(value) > MAX_INPUT or not is_plain_text(value):
        problems.append(
            Problem(field, ErrorCode.INVALID_FORMAT, "An IBAN of up to 34 letters and digits.")
        )
        return None
    try:
        return str(stdnum_iban.validate(value))
    except ValidationError as error:
        problems.append(
            Problem(field, ErrorCode.INVALID_FORMAT, f"This is not a valid IBAN: {error}")
        )
        return None


async def set_refund_account(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    policy_id: int,
    version: int,
    person_id: int,
    iban: str | None,
) -> Policy:
    """Pay the member's refunds under this policy to `iban` (None: no account known)."""
    async with changing(
        session,
        actor,
        Action.POLICY_REFUND_ACCOUNT_SET,
        Policy,
        policy_id,
        field="policy_id",
        version=version,
    ) as change:
        rows = active_rows(change)
        problems: list[Problem] = []
        compact = clean_iban(("refund_iban",), iban, problems) if iban is not None else None
        raise_if(problems)
        today = limits.today()
        theirs = [
            m
            for m in rows.members
            if m.person_id == person_id and (m.end_date is None or m.end_date >= today)
        ]
        if not theirs:
            raise DomainError.of(
                "person_id", ErrorCode.NOT_FOUND, "This person is not insured on the policy."
            )
        for member in theirs:
            member.refund_iban = compact
        await settle(change, rows)
    return change.row
