"""The subscriber's employment on a policy: what one employer knows of its employee.

A person is shared by every employer that insures them; their employee number, work e-mail
and salary are not, and live on the policy (see domain.policies.models.Policy). Changing them
is a change to the policy, within the caller's reach of policies, so one employer can never
change what another sees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.dynamic.models import FieldTarget
from domain.dynamic.service import set_values
from domain.dynamic.values import Assignment
from domain.policies.models import Policy
from domain.policies.persons import EMAIL, check_text

MAX_SALARY = Decimal("999999999999.99")


@dataclass(frozen=True)
class EmploymentData:
    """What an employer gives about its employee; fields left None are unknown."""

    employee_number: str | None = None
    work_email: str | None = None
    salary: Decimal | None = None
    salary_currency: str | None = None


_EMPLOYEE_NUMBER = (30, re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_ -]*$"), "letters, digits, ./_- ")
_CURRENCY = (3, re.compile(r"^[A-Z]{3}$"), "an ISO 4217 code, e.g. EUR")


def clean_employment(
    path: tuple[str, ...], data: EmploymentData, problems: list[Problem]
) -> EmploymentData:
    """Return the employment data tidied, recording every problem under `path`."""
    currency = data.salary_currency.upper() if data.salary_currency is not None else None
    tidy = replace(
        data,
        employee_number=check_text(
            (*path, "employee_number"), data.employee_number, *_EMPLOYEE_NUMBER, problems
        ),
        work_email=check_text((*path, "work_email"), data.work_email, *EMAIL, problems),
        salary_currency=check_text((*path, "salary_currency"), currency, *_CURRENCY, problems),
    )
    _salary(path, tidy.salary, tidy.salary_currency, problems)
    return tidy


def _salary(
    path: tuple[str, ...], salary: Decimal | None, currency: str | None, problems: list[Problem]
) -> None:
    if salary is None:
        if currency is not None:
            problems.append(
                Problem((*path, "salary"), ErrorCode.REQUIRED, "A currency needs a salary.")
            )
        return
    try:
        exact = salary == salary.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not (salary.is_finite() and exact and Decimal(0) <= salary <= MAX_SALARY):
        problems.append(
            Problem(
                (*path, "salary"),
                ErrorCode.INVALID_FORMAT,
                f"A salary is an amount from 0 to {MAX_SALARY} with at most two decimals.",
            )
        )
    elif currency is None:
        problems.append(
            Problem((*path, "salary_currency"), ErrorCode.REQUIRED, "Give the salary's currency.")
        )


def employment_columns(data: EmploymentData | None) -> dict[str, Any]:
    """The policy's columns that hold `data` (none when there is none)."""
    return asdict(data) if data is not None else {}


def employment_of(policy: Policy) -> EmploymentData:
    """The employment data a policy holds."""
    return EmploymentData(
        employee_number=policy.employee_number,
        work_email=policy.work_email,
        salary=policy.salary,
        salary_currency=policy.salary_currency,
    )


async def update_employment(
    session: AsyncSession,
    *,
    actor: Actor,
    policy_id: int,
    version: int,
    changes: Mapping[str, Any],
    dynamic_fields: Sequence[Assignment] = (),
) -> Policy:
    """Change the employment data and dynamic fields of a policy; fields not in `changes`
    and dynamic fields not assigned keep their value."""
    async with changing(
        session,
        actor,
        Action.POLICY_EMPLOYMENT_UPDATE,
        Policy,
        policy_id,
        field="policy_id",
        version=version,
    ) as change:
        policy = change.row
        problems: list[Problem] = []
        data = clean_employment((), replace(employment_of(policy), **changes), problems)
        values = await set_values(
            session,
            policy,
            actor=actor,
            target=FieldTarget.POLICY,
            assignments=dynamic_fields,
            problems=problems,
        )
        raise_if(problems)
        for name, value in asdict(data).items():
            setattr(policy, name, value)
        if dynamic_fields:
            policy.dynamic_fields = dict(values)
        policy.updated_at = utcnow()
    return policy
