"""834 round trip of families with several products (one HD loop each, HD03 the line and HD04
the code) in several accounts: pyx12 accepts the export, and importing it into the same
structure emptied of its members gives back the same members, links and products, each
product with its own days (DTP 348/349 of its HD loop)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.intake.models import FileState
from domain.policies import enrolment
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.models import Gender
from domain.reference.models import CoverageTier, ProductCoverageTier
from tests.domain.exports.test_x12 import (
    ADMIN,
    LIMITS,
    START,
    TODAY,
    R,
    _person,
    _round_trip,
)
from tests.factories import Book, Place, place

T = CoverageTier
LATER = START + timedelta(days=5)
ENDS = TODAY + timedelta(days=30)


async def _group(session: AsyncSession) -> Place:
    """ACME's accounts ACME-GA (classes STAFF and EXEC, medical, dental and life), ACME-GB
    (medical and dental) and ACME-GC (all three), and four families of two or three products,
    some starting after the policy, one ending after the day of the file, a child joining
    after its parents."""
    book = await Book(session).setup()
    acme = await place(book)
    gb = await book.account(acme.client, code="ACME-GB", products=2)
    gc = await book.account(acme.client, code="ACME-GC", products=3)
    session.add_all(ProductCoverageTier(product_id=book.dental.id, tier=t) for t in T)
    await session.commit()
    families = [
        (acme.account.id, acme.staff.id, "E1",
         [("MED-PPO", T.FAMILY, None, None), ("DEN-BASIC", T.FAMILY, LATER, None)],
         [(R.SUBSCRIBER, _person("Ann", 1980, Gender.FEMALE, "111-22-3333"), None),
          (R.SPOUSE, _person("Bob", 1979, Gender.MALE), None),
          (R.CHILD, _person("Cy", 2012, Gender.MALE), LATER + timedelta(days=2))]),
        (acme.account.id, acme.executives.id, "E2",
         [("LIFE-2X", T.EMPLOYEE_ONLY, None, None), ("MED-PPO", T.EMPLOYEE_ONLY, None, None),
          ("DEN-BASIC", T.EMPLOYEE_ONLY, LATER, None)],
         [(R.SUBSCRIBER, _person("Eve", 1970, Gender.FEMALE, "222-33-4444"), None)]),
        (gb.id, None, "E3",
         [("DEN-BASIC", T.EMPLOYEE_CHILDREN, None, None),
          ("MED-PPO", T.EMPLOYEE_CHILDREN, None, ENDS)],
         [(R.SUBSCRIBER, _person("Fay", 1985, Gender.FEMALE), None),
          (R.CHILD, _person("Gus", 2010, Gender.MALE), None)]),
        (gc.id, None, "E4",
         [("MED-PPO", T.EMPLOYEE_SPOUSE, None, None), ("DEN-BASIC", T.EMPLOYEE_SPOUSE, None, None)],
         [(R.SUBSCRIBER, _person("Hal", 1990, Gender.MALE), None),
          (R.DOMESTIC_PARTNER, _person("Ida", 1991, Gender.UNKNOWN), None)]),
    ]  # fmt: skip
    for account_id, class_id, number, products, members in families:
        await enrolment.enroll_policy(
            session, actor=ADMIN, limits=LIMITS, group_account_id=account_id,
            insurable_class_id=class_id, start_date=START,
            subscriber=MemberSpec(relationship=R.SUBSCRIBER, person=members[0][1]),
            dependants=[MemberSpec(relationship=r, person=p, start_date=s)
                        for r, p, s in members[1:]],
            products=[ProductSpec(product_code=c, coverage_tier=t, start_date=s, end_date=e)
                      for c, t, s, e in products],
            employment=enrolment.EmploymentData(employee_number=number),
        )  # fmt: skip
    await session.commit()
    return acme


async def test_families_of_several_products_and_accounts_come_back_the_same(
    session: AsyncSession,
) -> None:
    # given ACME's four families in three accounts, with two or three products each
    acme = await _group(session)
    # when exported as a full file (pyx12 validates it), emptied and imported
    trip = await _round_trip(session, acme)
    # then every member loop was applied, and the same members, links and products are back
    assert trip.record.state == FileState.APPLIED, trip.record.errors
    assert (trip.record.received_policies, trip.record.received_members) == (4, 8)
    assert trip.after == trip.before
    # and each product was its own HD loop, its line in HD03 and its code in HD04
    hd = {tuple(s.split("*")[3:5]) for s in trip.file.split("~\n") if s.startswith("HD*")}
    assert hd == {("HLT", "MED-PPO"), ("DEN", "DEN-BASIC"), ("HLT", "LIFE-2X")}
