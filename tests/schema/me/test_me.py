"""`me`: who the caller is, and for an employee their own cover, in one request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from domain.policies.limits import utc_today
from domain.policies.models import (
    EnrollmentProduct,
    Gender,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyMember,
    Relationship,
)
from domain.reference.models import CoverageTier
from domain.settings.models import PremiumSchedule, ProviderGroup, Setting, SettingKind
from tests.conftest import StatementCounter, token_for
from tests.factories import Book, Place, families, place
from tests.graphql import GraphQLClient

WHO = """
query { me {
  subject roles groups dataAccessGroups linesOfBusiness personNumber
  person { personNumber } policies { number }
} }
"""

COVER = """
query { me {
  subject personNumber
  person { personNumber givenName familyName }
  policies {
    number status
    members { relationship person { personNumber givenName } }
    coverage {
      groupAccountName insurableClassName
      products {
        coverageTier startDate product { code name }
        providerGroup { code name } parameters { name value }
      }
    }
  }
} }
"""
SINCE = utc_today() - timedelta(days=10)


def employee(person: Person) -> Principal:
    return Principal("emp-1", frozenset({Role.EMPLOYEE}), person=person.person_number)


async def subscriber_of(session: AsyncSession, policy: Policy) -> Person:
    return await session.get(Person, policy.subscriber_id)  # type: ignore[return-value]


async def _cover(session: AsyncSession, policy: Policy) -> None:
    """A provider group and a deductible on the policy's medical product, and a premium
    schedule (which `me` must not show)."""
    (product,) = [
        p for p in await _products(session, policy) if p.coverage_tier == CoverageTier.FAMILY
    ]
    network = ProviderGroup(code="NET-A", name="Network A")
    schedule = PremiumSchedule(code="PS-STD", name="Standard", currency="EUR")
    session.add_all([network, schedule])
    await session.flush()
    session.add_all(
        [
            Setting(
                kind=SettingKind.ASSIGNED_PROVIDER_GROUP,
                enrollment_product_id=product.id,
                provider_group_id=network.id,
            ),
            Setting(
                kind=SettingKind.PARAMETER_VALUE,
                enrollment_product_id=product.id,
                parameter_name="DEDUCTIBLE",
                value_text="500",
            ),
            Setting(
                kind=SettingKind.PREMIUM_SCHEDULE,
                enrollment_product_id=product.id,
                premium_schedule_id=schedule.id,
            ),
        ]
    )
    await session.commit()


async def _products(session: AsyncSession, policy: Policy) -> list[EnrollmentProduct]:
    stmt = select(EnrollmentProduct).where(EnrollmentProduct.policy_id == policy.id)
    return list(await session.scalars(stmt))


async def _grow(book: Book, policy: Policy, *, members: int, products: int) -> None:
    """More children and more products on a policy."""
    s = book.session
    kids = [
        Person(
            person_number=f"{policy.number}-K{i}",
            given_name=f"Kid {i}",
            family_name="Roe",
            birth_date=date(2016, 1, 1),
            gender=Gender.UNKNOWN,
        )
        for i in range(members)
    ]
    s.add_all(kids)
    await s.flush()
    s.add_all(
        PolicyMember(
            policy_id=policy.id,
            person_id=kid.id,  # type: ignore[arg-type]
            relationship=Relationship.CHILD,
            start_date=SINCE,
            end_date=date(2040, 12, 31),
        )
        for kid in kids
    )
    s.add_all(
        EnrollmentProduct(
            policy_id=policy.id,
            product_id=product.id,  # type: ignore[arg-type]
            coverage_tier=CoverageTier.EMPLOYEE_ONLY,
            start_date=SINCE,
        )
        for product in [book.dental, book.term_life][:products]
    )
    await s.commit()


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    return await place(book)


async def test_an_employee_sees_their_own_cover_in_one_request(
    http: AsyncClient, session: AsyncSession, book: Book, acme: Place
) -> None:
    # given a family of three with medical, a provider group, a deductible and a premium
    (policy,) = await families(book, acme, 1, since=SINCE)
    await _cover(session, policy)
    holder = await subscriber_of(session, policy)
    caller = GraphQLClient(http, token_for(employee(holder)))
    # when
    me = (await caller.query(COVER))["me"]
    # then
    assert (me["subject"], me["personNumber"]) == ("emp-1", holder.person_number)
    assert me["person"]["personNumber"] == holder.person_number
    (mine,) = me["policies"]
    assert mine["number"] == policy.number
    assert [m["relationship"] for m in mine["members"]] == ["SUBSCRIBER", "SPOUSE", "CHILD"]
    assert mine["coverage"] == {
        "groupAccountName": "Account",
        "insurableClassName": "Staff",
        "products": [
            {
                "coverageTier": "FAMILY",
                "startDate": SINCE.isoformat(),
                "product": {"code": "MED-PPO", "name": book.medical.name},
                "providerGroup": {"code": "NET-A", "name": "Network A"},
                "parameters": [{"name": "DEDUCTIBLE", "value": "500"}],
            }
        ],
    }


async def test_an_employee_never_sees_another_persons_policy_through_me(
    http: AsyncClient, session: AsyncSession, book: Book, acme: Place
) -> None:
    # given two families, and the first subscriber insured as a child on the second's policy
    mine, theirs = await families(book, acme, 2, since=SINCE)
    holder = await subscriber_of(session, mine)
    session.add(
        PolicyMember(
            policy_id=theirs.id,
            person_id=holder.id,  # type: ignore[arg-type]
            relationship=Relationship.CHILD,
            start_date=SINCE,
        )
    )
    await session.commit()
    caller = GraphQLClient(http, token_for(employee(holder)))
    # when
    me = (await caller.query(WHO))["me"]
    # then only the policy they subscribe to: the other is someone else's, outside their reach
    assert [p["number"] for p in me["policies"]] == [mine.number]
    assert me["person"] == {"personNumber": holder.person_number}


async def test_a_token_naming_a_person_out_of_reach_gets_no_person(
    http: AsyncClient, session: AsyncSession, book: Book, acme: Place
) -> None:
    # given a group manager of another group whose token names a person of ACME
    (policy,) = await families(book, acme, 1, since=SINCE)
    holder = await subscriber_of(session, policy)
    other = await place(book, code="OTHER")
    manager = Principal(
        "hr-9",
        frozenset({Role.GROUP_MANAGER}),
        groups=frozenset({other.client.code}),
        person=holder.person_number,
    )
    # when
    me = (await GraphQLClient(http, token_for(manager)).query(WHO))["me"]
    # then nothing of that person nor their policy
    assert (me["person"], me["policies"]) == (None, [])


async def test_a_group_manager_sees_their_grants(
    http: AsyncClient, book: Book, acme: Place
) -> None:
    # given
    manager = Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"}))
    # when
    me = (await GraphQLClient(http, token_for(manager)).query(WHO))["me"]
    # then
    assert me == {
        "subject": "hr-1",
        "roles": ["GROUP_MANAGER"],
        "groups": ["ACME"],
        "dataAccessGroups": [],
        "linesOfBusiness": [],
        "personNumber": None,
        "person": None,
        "policies": [],
    }


async def test_an_admin_is_told_their_roles(http: AsyncClient) -> None:
    # given
    admin = Principal("admin-1", frozenset({Role.ADMIN}))
    # when
    me = (await GraphQLClient(http, token_for(admin)).query(WHO))["me"]
    # then
    assert (me["subject"], me["roles"], me["groups"], me["policies"]) == (
        "admin-1",
        ["ADMIN"],
        [],
        [],
    )


async def test_a_partner_key_is_told_the_groups_it_was_given(
    http: AsyncClient, admin: GraphQLClient, book: Book, acme: Place
) -> None:
    # given a key an admin made, for ACME
    made = await admin.mutate(
        """mutation Make($input: ApiKeyCreateInput!) {
          apiKeyCreate(input: $input) { key errors { code } } }""",
        {
            "input": {
                "name": "broker-z",
                "groupClientCodes": ["ACME"],
                "expiresAt": (utc_today() + timedelta(days=30)).isoformat() + "T00:00:00Z",
            }
        },
    )
    assert made["errors"] == []
    # when
    me = (await GraphQLClient(http, made["key"]).query(WHO))["me"]
    # then
    assert (me["subject"], me["roles"], me["groups"], me["person"]) == (
        "apikey:broker-z",
        ["PARTNER"],
        ["ACME"],
        None,
    )


# The principal's stored grants, the person, the policies, the members with their persons, the
# account and class names, the enrolment products, the products, the enrolment products in
# reach, their chains of settings (8: domain.settings.chains) and the provider groups.
COVER_STATEMENTS = 18


@pytest.mark.parametrize(("members", "products"), [(0, 0), (4, 2)])
async def test_an_employees_cover_costs_a_fixed_number_of_statements(
    http: AsyncClient,
    statements: StatementCounter,
    session: AsyncSession,
    book: Book,
    acme: Place,
    members: int,
    products: int,
) -> None:
    # given a family of three with medical, grown by more children and products
    (policy,) = await families(book, acme, 1, since=SINCE)
    await _cover(session, policy)
    await _grow(book, policy, members=members, products=products)
    caller = GraphQLClient(http, token_for(employee(await subscriber_of(session, policy))))
    statements.reset()
    # when
    me = (await caller.query(COVER))["me"]
    # then
    (mine,) = me["policies"]
    assert len(mine["members"]) == 3 + members
    assert len(mine["coverage"]["products"]) == 1 + products
    assert statements.count == COVER_STATEMENTS, statements.statements


POLICY_COVERAGE = """
query Cover($number: String!) { policy(number: $number) {
  number coverage { groupAccountName insurableClassName products { product { code } } }
} }
"""


async def test_a_moved_policy_shows_its_new_account_only_to_those_who_reach_it(
    http: AsyncClient, session: AsyncSession, book: Book, acme: Place
) -> None:
    # given a policy of ACME that moved to another employer's account today
    (policy,) = await families(book, acme, 1, since=SINCE)
    other = await place(book, code="OTHER")
    other.account.name = "Other staff"
    (link,) = await session.scalars(
        select(PolicyAccountLink).where(PolicyAccountLink.policy_id == policy.id)
    )
    link.end_date = utc_today() - timedelta(days=1)
    session.add(
        PolicyAccountLink(
            policy_id=policy.id,
            group_account_id=other.account.id,  # type: ignore[arg-type]
            start_date=utc_today(),
        )
    )
    await session.commit()

    def manager(code: str) -> GraphQLClient:
        principal = Principal(
            f"hr-{code}", frozenset({Role.GROUP_MANAGER}), groups=frozenset({code})
        )
        return GraphQLClient(http, token_for(principal))

    # when
    first = await manager("ACME").query(POLICY_COVERAGE, {"number": policy.number})
    now = await manager("OTHER").query(POLICY_COVERAGE, {"number": policy.number})
    # then the first employer still reads the policy, not the other employer's account
    assert first["policy"]["coverage"]["groupAccountName"] is None
    assert now["policy"]["coverage"]["groupAccountName"] == "Other staff"
    assert first["policy"]["coverage"]["products"] == [{"product": {"code": "MED-PPO"}}]
