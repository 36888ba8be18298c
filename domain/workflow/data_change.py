"""DATA_CHANGE: a person's contact details and address, their name (with the reference of the
document that shows it), a correction of their birth date, and where their refunds are paid.

Who a person is and how to reach them at home is shared by every employer that insures them,
and is changed through the policies' own person update (which checks the age rules again for
a new birth date: AGE_LIMIT when a child would be covered past the limit). The refund account
is what this employer's policy knows of the member (domain.policies.refunds).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.core.naming import camel
from domain.policies.limits import PolicyLimits
from domain.policies.persons import update_person
from domain.policies.refunds import clean_iban, set_refund_account
from domain.workflow.anchors import policy_of_person
from domain.workflow.naming import under

CONTACT_FIELDS = ("email", "phone", "address_line", "postal_code", "city", "country")
NAME_FIELDS = ("given_name", "family_name")
PARTS = frozenset({"contact", "name", "refund_iban", "birth_date"})
"""What a DATA_CHANGE may change; it needs at least one."""


def check(details: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with the change as sent, before anything is looked up."""
    problems: list[Problem] = []
    if not any(details.get(part) is not None for part in PARTS):
        problems.append(
            Problem(
                ("contact",),
                ErrorCode.REQUIRED,
                "Give at least one of `contact`, `name`, `refundIban` or `birthDate` to change.",
            )
        )
    if details.get("contact") == {}:
        problems.append(
            Problem(("contact",), ErrorCode.REQUIRED, "Give at least one contact field to change.")
        )
    name = details.get("name")
    if name is not None:
        if not name.get("evidence_reference"):
            problems.append(
                Problem(
                    ("name", "evidenceReference"),
                    ErrorCode.REQUIRED,
                    "A change of name needs the reference of the document that shows it.",
                )
            )
        if not any(name.get(field) for field in NAME_FIELDS):
            problems.append(
                Problem(
                    ("name",), ErrorCode.REQUIRED, "Give the new given name, family name or both."
                )
            )
    if details.get("refund_iban") is not None:
        clean_iban(("refundIban",), details["refund_iban"], problems)
    return problems


def _person_changes(details: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = dict(details.get("contact") or {})
    name = details.get("name") or {}
    changes.update({field: name[field] for field in NAME_FIELDS if name.get(field)})
    if details.get("birth_date"):
        changes["birth_date"] = date.fromisoformat(details["birth_date"])
    return changes


def _placed(problem: Problem) -> Problem:
    """A person update's problem under the input it came from."""
    head, *rest = problem.field
    prefix: tuple[str, ...] = (
        ("contact",) if head in CONTACT_FIELDS else ("name",) if head in NAME_FIELDS else ()
    )
    return Problem((*prefix, camel(head), *rest), problem.code, problem.message)


async def register(
    session: AsyncSession, actor: Actor, limits: PolicyLimits, details: Mapping[str, Any]
) -> dict[str, Any]:
    """Make the change as `actor`; the result names what changed."""
    person, policy = await policy_of_person(session, actor, details["person_id"], limits.today())
    changes = _person_changes(details)
    if changes:
        try:
            await update_person(
                session,
                actor=actor,
                limits=limits,
                person_id=person.id,  # type: ignore[arg-type]
                version=person.version,
                changes=changes,
            )
        except DomainError as error:
            raise DomainError(*[_placed(p) for p in error.problems]) from error
    changed = sorted(camel(name) for name in changes)
    if details.get("refund_iban") is not None:
        try:
            await set_refund_account(
                session,
                actor=actor,
                limits=limits,
                policy_id=policy.id,  # type: ignore[arg-type]
                version=policy.version,
                person_id=person.id,  # type: ignore[arg-type]
                iban=details["refund_iban"],
            )
        except DomainError as error:
            raise DomainError(*under(error, ())) from error
        changed.append("refundIban")
    result: dict[str, Any] = {"changed": changed}
    if details.get("name"):
        result["evidenceReference"] = details["name"]["evidence_reference"]
    return result
