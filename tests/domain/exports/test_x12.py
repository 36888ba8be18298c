"""834 export: pyx12 accepts the file, and importing it into the same structure emptied of its
members gives back the same members, links and products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.audit.models import AuditEvent
from domain.exports.service import x12_file
from domain.exports.x12 import Parties
from domain.groups.models import GroupAccount, InsurableClass
from domain.intake.models import EnrollmentFile, FileFormat, FileState
from domain.intake.service import submit_file
from domain.policies import enrolment
from domain.policies.enrolment import MemberSpec, ProductSpec
from domain.policies.limits import PolicyLimits, utc_today
from domain.policies.models import (
    EnrollmentProduct,
    Gender,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    Relationship,
)
from domain.policies.persons import PersonData
from domain.reference.models import CoverageTier, Product, ProductCoverageTier
from tests.factories import Book, Place, place

ADMIN = Actor("hr", RowScope(everything=True, writes=True))
LIMITS = PolicyLimits()
TODAY = utc_today()
START = TODAY - timedelta(days=20)
R = Relationship


def _person(given: str, born: int, gender: Gender, national_id: str | None = None) -> PersonData:
    return PersonData(
        given_name=given, family_name="Doe", birth_date=datetime(born, 3, 4).date(),
        gender=gender, national_id=national_id,
    )  # fmt: skip


async def _group(session: AsyncSession) -> tuple[Place, Any]:
    """ACME's account ACME-GA (classes STAFF and EXEC) and ACME-GB (no class, medical and
    dental), with four families: all four relationships, three products, every tier."""
    book = await Book(session).setup()
    acme = await place(book)
    other = await book.account(acme.client, code="ACME-GB", products=2)
    session.add_all(
        ProductCoverageTier(product_id=book.dental.id, tier=tier) for tier in CoverageTier
    )
    await session.commit()
    families = [
        (acme.account.id, acme.staff.id, "E1", [("MED-PPO", CoverageTier.FAMILY)],
         [(R.SUBSCRIBER, _person("Ann", 1980, Gender.FEMALE, "111-22-3333")),
          (R.SPOUSE, _person("Bob", 1979, Gender.MALE)),
          (R.CHILD, _person("Cy", 2012, Gender.MALE)),
          (R.CHILD, _person("Di", 2015, Gender.FEMALE))]),
        (acme.account.id, acme.executives.id, "E2", [("LIFE-2X", CoverageTier.EMPLOYEE_ONLY)],
         [(R.SUBSCRIBER, _person("Eve", 1970, Gender.FEMALE))]),
        (other.id, None, "E3", [("DEN-BASIC", CoverageTier.EMPLOYEE_CHILDREN)],
         [(R.SUBSCRIBER, _person("Fay", 1985, Gender.FEMALE)),
          (R.CHILD, _person("Gus", 2010, Gender.MALE))]),
        (other.id, None, "E4", [("MED-PPO", CoverageTier.EMPLOYEE_SPOUSE)],
         [(R.SUBSCRIBER, _person("Hal", 1990, Gender.MALE)),
          (R.DOMESTIC_PARTNER, _person("Ida", 1991, Gender.UNKNOWN))]),
    ]  # fmt: skip
    for account_id, class_id, number, products, members in families:
        await enrolment.enroll_policy(
            session, actor=ADMIN, limits=LIMITS, group_account_id=account_id,
            insurable_class_id=class_id, start_date=START,
            subscriber=MemberSpec(relationship=R.SUBSCRIBER, person=members[0][1]),
            dependants=[MemberSpec(relationship=r, person=p) for r, p in members[1:]],
            products=[ProductSpec(product_code=c, coverage_tier=t) for c, t in products],
            employment=enrolment.EmploymentData(employee_number=number),
        )  # fmt: skip
    await session.commit()
    return acme, other


async def _export(session: AsyncSession, acme: Place, **options: Any) -> str:
    return await x12_file(
        session, client=acme.client, as_of=TODAY, scope=ADMIN.scope, groups_scope=ADMIN.scope,
        personal=True, parties=Parties(sender_id="INSURER1", receiver_id="TPA1"),
        **{"since": None, **options},
    )  # fmt: skip


async def _members(session: AsyncSession) -> list[tuple[Any, ...]]:
    """Every member as who they are and on what: a round trip must keep all of it."""
    account = (
        sa.select(col(GroupAccount.code))
        .join(PolicyAccountLink, col(PolicyAccountLink.group_account_id) == GroupAccount.id)
        .where(col(PolicyAccountLink.policy_id) == Policy.id)
        .scalar_subquery()
    )
    klass = (
        sa.select(col(InsurableClass.code))
        .join(PolicyClassLink, col(PolicyClassLink.insurable_class_id) == InsurableClass.id)
        .where(col(PolicyClassLink.policy_id) == Policy.id)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            Policy.employee_number,
            account,
            klass,
            PolicyMember.relationship,
            Person.given_name,
            Person.family_name,
            Person.birth_date,
            Person.gender,
            Person.national_id,
            PolicyMember.start_date,
            PolicyMember.end_date,
        )
        .join(PolicyMember, col(PolicyMember.policy_id) == Policy.id)
        .join(Person, col(Person.id) == PolicyMember.person_id)
    )
    return sorted(tuple(row) for row in await session.execute(stmt))


async def _products(session: AsyncSession) -> list[tuple[Any, ...]]:
    stmt = (
        sa.select(
            Policy.employee_number,
            Product.code,
            EnrollmentProduct.coverage_tier,
            EnrollmentProduct.start_date,
            EnrollmentProduct.end_date,
        )
        .join(EnrollmentProduct, col(EnrollmentProduct.policy_id) == Policy.id)
        .join(Product, col(Product.id) == EnrollmentProduct.product_id)
    )
    return sorted(tuple(row) for row in await session.execute(stmt))


async def _empty(session: AsyncSession) -> None:
    """The same structure, without a member: what a new carrier's copy starts as."""
    for model in (
        EnrollmentProduct, PolicyMember, PolicyAccountLink, PolicyClassLink, Policy, Person,
    ):  # fmt: skip
        await session.execute(sa.delete(model))
    await session.commit()


@dataclass(frozen=True)
class RoundTrip:
    """A group's members exported as a full file, removed, and the file imported."""

    file: str
    record: EnrollmentFile
    before: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
    """The members and their products before the export."""
    after: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
    """The same after the import."""


async def _round_trip(session: AsyncSession, acme: Place) -> RoundTrip:
    """Export ACME as a full file (pyx12 validates it), empty it and import the file."""
    before = (await _members(session), await _products(session))
    text = await _export(session, acme)
    await _empty(session)
    record = await submit_file(
        session, actor=ADMIN, limits=LIMITS, group_client_id=acme.client.id,  # type: ignore[arg-type]
        format=FileFormat.X12_834, data=text.encode(),
    )  # fmt: skip
    return RoundTrip(text, record, before, (await _members(session), await _products(session)))


async def test_an_exported_834_imports_into_an_empty_copy_as_the_same_members(
    session: AsyncSession,
) -> None:
    # given ACME's four families
    acme, _ = await _group(session)
    # when exported as a full file, the members removed and the file imported
    trip = await _round_trip(session, acme)
    # then every member loop was applied, and the same members are on the same policies
    assert trip.record.state == FileState.APPLIED, trip.record.errors
    assert (trip.record.received_policies, trip.record.received_members) == (4, 9)
    assert trip.after == trip.before


async def test_a_full_file_is_an_audit_of_every_member(session: AsyncSession) -> None:
    # given
    acme, _ = await _group(session)
    # when
    text = await _export(session, acme, now=datetime(2026, 6, 1, 12, 30, tzinfo=UTC))
    segments = [s.split("*") for s in text.split("~\n") if s]
    # then the envelope names the configured parties and the control number is repeated
    isa = segments[0]
    assert (isa[6].strip(), isa[8].strip(), isa[13]) == ("INSURER1", "TPA1", segments[-1][2])
    assert [s[8] for s in segments if s[0] == "BGN"] == ["4"]
    assert {s[3] for s in segments if s[0] == "INS"} == {"030"}
    assert ["REF", "38", "ACME"] in segments
    # and each product is a HD loop of each member, tier coded
    hd = [(s[4], s[5]) for s in segments if s[0] == "HD"]
    assert hd.count(("MED-PPO", "FAM")) == 4 and hd.count(("MED-PPO", "ESP")) == 2
    assert ("LIFE-2X", "EMP") in hd and hd.count(("DEN-BASIC", "ECH")) == 2
    assert ["NM1", "IL", "1", "Doe", "Ann", "", "", "", "34", "111-22-3333"] in segments


async def test_without_personal_fields_no_name_or_national_id_leaves(
    session: AsyncSession,
) -> None:
    # given
    acme, _ = await _group(session)
    # when exported for someone who may not read personal fields
    text = await x12_file(
        session, client=acme.client, as_of=TODAY, since=None, scope=ADMIN.scope,
        groups_scope=ADMIN.scope, personal=False, parties=Parties(),
    )  # fmt: skip
    # then
    assert "111-22-3333" not in text and "Ann" not in text and "DMG" not in text
    assert text.count("NM1*IL*1*REDACTED*****ZZ*PN-") == 9


async def test_the_changes_since_a_day_are_adds_terminations_and_changes(
    session: AsyncSession,
) -> None:
    # given ACME's families registered long ago; since yesterday a child was added and a
    # spouse removed
    acme, _ = await _group(session)
    await session.execute(
        sa.update(AuditEvent).values(occurred_at=datetime.now(UTC) - timedelta(days=10))
    )
    e1 = await session.scalar(sa.select(Policy).where(col(Policy.employee_number) == "E1"))
    e4 = await session.scalar(sa.select(Policy).where(col(Policy.employee_number) == "E4"))
    assert e1 is not None and e4 is not None
    bob = await session.scalar(sa.select(col(Person.id)).where(col(Person.given_name) == "Bob"))
    e1 = await enrolment.remove_member(
        session, actor=ADMIN, limits=LIMITS, policy_id=e1.id, version=e1.version,  # type: ignore[arg-type]
        person_id=bob, end_date=TODAY - timedelta(days=1),  # type: ignore[arg-type]
    )  # fmt: skip
    await enrolment.add_member(
        session, actor=ADMIN, limits=LIMITS, policy_id=e4.id, version=e4.version,  # type: ignore[arg-type]
        member=MemberSpec(relationship=R.CHILD, person=_person("Jo", 2020, Gender.MALE),
                          start_date=TODAY),
        coverage_tier=CoverageTier.FAMILY,
    )  # fmt: skip
    await session.commit()
    # when
    text = await _export(session, acme, since=TODAY - timedelta(days=1))
    loops = [s.split("*") for s in text.split("~\n") if s.startswith(("INS", "NM1*IL"))]
    found = {(name[4], ins[3]) for ins, name in zip(loops[::2], loops[1::2], strict=True)}
    # then Jo is added, Bob ended, and the rest of both changed families sent as changes
    assert found == {
        ("Jo", "021"), ("Bob", "024"), ("Ann", "001"), ("Cy", "001"), ("Di", "001"),
        ("Hal", "001"), ("Ida", "001"),
    }  # fmt: skip
    assert "BGN*00*" in text and "****2~" in text
