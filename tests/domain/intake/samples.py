"""A structure built from an 834 sample's own codes, and the families its changes presume."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from domain.groups.models import GroupAccount, GroupAccountProduct, GroupClient
from domain.intake import x12
from domain.intake.census import CensusRow
from domain.intake.maintenance import family_tier
from domain.intake.models import RowAction
from domain.policies import enrolment, lifecycle
from domain.policies.employment import EmploymentData
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.limits import PolicyLimits
from domain.policies.models import Gender, Policy, Relationship
from domain.policies.persons import PersonData
from domain.reference.models import CoverageTier, Product, ProductCoverageTier, ProductKind
from tests.domain.intake.test_submit import ADMIN
from tests.factories import Book

FIXTURES = Path("/work/shared/fixtures/x12")
SPARE = "TEST-PLAN"
"""A product the test adds, for families the file changes to another product."""
LIMITS = PolicyLimits(retro_days=60 * 365)
"""The samples date from 1996 on: the insurer here allows changes that far back."""


def segments(text: str) -> list[list[str]]:
    """The file's segments, split into elements (its own separators, from ISA)."""
    text = text.strip()
    return [s.strip().split(text[3]) for s in text.split(text[105]) if s.strip()]


async def structure(session: AsyncSession, text: str) -> GroupClient:
    """A group client named by ISA06, an account per REF*1L (or REF*38) code and a product
    per HD04 (or HD03) code, offered in every tier."""
    book = await Book(session).setup()
    segs = segments(text)
    client = await book.client(code=segs[0][6].strip()[:30])
    codes = {s[2] for s in segs if s[:2] == ["REF", "1L"]} or {
        s[2] for s in segs if s[:2] == ["REF", "38"]
    }
    products = {(s[4] if len(s) > 4 and s[4] else s[3])[:30] for s in segs if s[0] == "HD"}
    made = []
    for code in sorted(products | {SPARE}):
        product = Product(
            code=code, name=code, kind=ProductKind.MEDICAL, line_of_business_id=book.health.id
        )
        session.add(product)
        await session.flush()
        session.add_all(ProductCoverageTier(product_id=product.id, tier=t) for t in CoverageTier)
        made.append(product)
    for code in sorted(codes) or [None]:
        account = await book.account(client, code=code)
        session.add_all(
            GroupAccountProduct(group_account_id=account.id, product_id=p.id) for p in made
        )
    await session.commit()
    return client


def first_day(text: str) -> date:
    """A day well before every date of the file's DTP segments."""
    days = [d for d in re.findall(r"DTP\*\d{3}\*D8\*(\d{8})", text)]
    earliest = min(days, default="20000101")
    return date(int(earliest[:4]), int(earliest[4:6]), int(earliest[6:])) - timedelta(days=400)


async def presumed(session: AsyncSession, text: str) -> None:
    """Enrol the families whose rows change, end or reinstate what must exist already."""
    _interchange, rows = x12.read(text.encode())
    start = first_day(text)
    for number in dict.fromkeys(r.employee_number for r in rows):
        family = [r for r in rows if r.employee_number == number]
        if all(r.action in (RowAction.ADD, RowAction.AUDIT) for r in family) and any(
            r.relationship == Relationship.SUBSCRIBER for r in family
        ):
            continue  # the file enrols it
        await _enrol(session, number, family, start)
    await session.commit()


async def _enrol(session: AsyncSession, number: str, family: list[CensusRow], start: date) -> None:
    head = next((r for r in family if r.relationship == Relationship.SUBSCRIBER), None)
    kept = [r for r in family if r is not head and r.action != RowAction.ADD]
    codes = [c for r in family if r.action != RowAction.CHANGE for c in _codes(r)] or [SPARE]
    tier = family_tier([r.relationship for r in kept])
    policy = await enrolment.enroll_policy(
        session, actor=ADMIN, limits=LIMITS, group_account_id=await _account(session, family),
        insurable_class_id=None, start_date=start,
        subscriber=MemberSpec(Relationship.SUBSCRIBER, person=_person(head, "Pat", 1960)),
        dependants=[MemberSpec(r.relationship or Relationship.CHILD,  # type: ignore[arg-type]
                               person=_person(r, "Kim", 1990)) for r in kept],
        products=[ProductSpec(product_code=c, coverage_tier=tier) for c in dict.fromkeys(codes)],
        employment=EmploymentData(employee_number=number),
    )  # fmt: skip
    await _undo(session, policy, head, kept, start + timedelta(days=30))


async def _undo(
    session: AsyncSession, policy: Policy, head: CensusRow | None, kept: list[CensusRow], end: date
) -> None:
    """End what the file reinstates."""
    if head is not None and head.action == RowAction.REINSTATE:
        await lifecycle.terminate_policy(
            session, actor=ADMIN, limits=LIMITS, policy_id=policy.id,  # type: ignore[arg-type]
            version=policy.version, end_date=end,
        )  # fmt: skip


def _codes(row: CensusRow) -> list[str]:
    return [row.product_code, *row.more_products] if row.product_code else []


async def _account(session: AsyncSession, family: list[CensusRow]) -> int:
    import sqlalchemy as sa

    code = next((r.account_code for r in family if r.account_code), None)
    stmt = sa.select(GroupAccount.id)  # type: ignore[call-overload]
    if code:
        stmt = stmt.where(GroupAccount.code == code)
    return (await session.scalars(stmt)).first()  # type: ignore[no-any-return]


def _person(row: CensusRow | None, given: str, year: int) -> PersonData:
    """The row's member as the file names them; a change's birth date a day off, to change."""
    data = dict(row.person_changes) if row is not None else {}
    born = data.get("birth_date", date(year, 1, 1))
    if row is not None and row.action == RowAction.CHANGE and "birth_date" in data:
        born += timedelta(days=1)
    return PersonData(
        given_name=data.get("given_name", given),
        family_name=data.get("family_name", "Example"),
        birth_date=born,
        gender=data.get("gender", Gender.UNKNOWN),
        national_id=row.member_id if row is not None else None,
    )
