"""Test data, written straight to the tables: fast, and independent of the API under test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import EVERYTHING, Actor
from authz.principal import Principal, Role
from domain.catalogue.models import CatalogueItem, ItemKind
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupAccountProductClass,
    GroupClient,
    InsurableClass,
)
from domain.policies.limits import PolicyLimits
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
from domain.reference.models import (
    CoverageTier,
    DataAccessGroup,
    LineOfBusiness,
    Product,
    ProductCoverageTier,
    ProductKind,
)
from domain.settings.models import (
    AdjustmentKind,
    AdjustmentRule,
    BillingAccount,
    BrokerAgent,
    PremiumRate,
    PremiumSchedule,
    ProductParameter,
    ProviderGroup,
)
from domain.workflow import submit
from domain.workflow.models import Channel, RequestType

_serial = count(1)


class Book:
    """Reference data every test needs: two lines of business, two data access groups, products."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def setup(self) -> Book:
        s = self.session
        self.health = LineOfBusiness(code="HEALTH", name="Group health")
        self.life = LineOfBusiness(code="LIFE", name="Group life")
        self.dag_eu = DataAccessGroup(code="EU", name="European clients")
        self.dag_us = DataAccessGroup(code="US", name="US clients")
        s.add_all([self.health, self.life, self.dag_eu, self.dag_us])
        await s.flush()
        self.medical = Product(
            code="MED-PPO",
            name="Medical PPO",
            kind=ProductKind.MEDICAL,
            line_of_business_id=self.health.id,
        )
        self.dental = Product(
            code="DEN-BASIC",
            name="Dental basic",
            kind=ProductKind.DENTAL,
            line_of_business_id=self.health.id,
        )
        self.term_life = Product(
            code="LIFE-2X",
            name="Term life 2x salary",
            kind=ProductKind.LIFE,
            line_of_business_id=self.life.id,
        )
        s.add_all([self.medical, self.dental, self.term_life])
        await s.flush()
        s.add_all(
            [ProductCoverageTier(product_id=self.medical.id, tier=tier) for tier in CoverageTier]
            + [ProductCoverageTier(product_id=self.term_life.id, tier=CoverageTier.EMPLOYEE_ONLY)]
        )
        await s.commit()
        return self

    async def client(
        self,
        parent: GroupClient | None = None,
        *,
        code: str | None = None,
        dag: DataAccessGroup | None = None,
    ) -> GroupClient:
        row = GroupClient(
            code=code or f"GC-{next(_serial)}",
            name="Client",
            parent_id=parent.id if parent else None,
            line_of_business_id=self.health.id,
            data_access_group_id=(dag or self.dag_eu).id,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def account(
        self, client: GroupClient, *, code: str | None = None, classes: int = 0, products: int = 0
    ) -> GroupAccount:
        row = GroupAccount(
            code=code or f"GA-{next(_serial)}",
            name="Account",
            group_client_id=client.id,
            line_of_business_id=self.health.id,
            data_access_group_id=self.dag_eu.id,
        )
        self.session.add(row)
        await self.session.flush()
        made = [
            InsurableClass(group_account_id=row.id, code=f"C{i}", name=f"Class {i}")
            for i in range(classes)
        ]
        self.session.add_all(made)
        await self.session.flush()
        for product in [self.medical, self.dental, self.term_life][:products]:
            offer = GroupAccountProduct(group_account_id=row.id, product_id=product.id)
            self.session.add(offer)
            await self.session.flush()
            self.session.add_all(
                [
                    GroupAccountProductClass(
                        group_account_product_id=offer.id, insurable_class_id=c.id
                    )
                    for c in made[:1]
                ]
            )
        await self.session.flush()
        return row


@dataclass
class Place:
    """A group client with one account: classes STAFF and EXEC; medical (every tier) offered
    to every class, term life (employee only) to EXEC only, dental offered in no tier."""

    client: GroupClient
    account: GroupAccount
    staff: InsurableClass
    executives: InsurableClass


async def place(book: Book, *, code: str = "ACME", parent: GroupClient | None = None) -> Place:
    """A group client and an account ready to enrol members in."""
    s = book.session
    client = await book.client(parent, code=code)
    account = await book.account(client, code=f"{code}-GA")
    staff = InsurableClass(group_account_id=account.id, code="STAFF", name="Staff")
    executives = InsurableClass(group_account_id=account.id, code="EXEC", name="Executives")
    s.add_all([staff, executives])
    await s.flush()
    medical = GroupAccountProduct(group_account_id=account.id, product_id=book.medical.id)
    dental = GroupAccountProduct(group_account_id=account.id, product_id=book.dental.id)
    life = GroupAccountProduct(group_account_id=account.id, product_id=book.term_life.id)
    s.add_all([medical, dental, life])
    await s.flush()
    s.add(
        GroupAccountProductClass(group_account_product_id=life.id, insurable_class_id=executives.id)
    )
    await s.commit()
    return Place(client, account, staff, executives)


async def families(book: Book, where: Place, count: int, *, since: date) -> list[Policy]:
    """`count` policies in `where`, each a subscriber, a spouse and a child with medical.

    Written straight to the tables in a few statements, for lists and benchmarks."""
    s = book.session
    first = next(_serial)
    persons = [
        Person(
            person_number=f"PN-{first}-{i}-{role}",
            given_name=role.title(),
            family_name=f"Family {i}",
            birth_date=date(2015 if role == "child" else 1980, 1, 1),
            gender=Gender.UNKNOWN,
        )
        for i in range(count)
        for role in ("holder", "spouse", "child")
    ]
    s.add_all(persons)
    await s.flush()
    policies = [
        Policy(
            number=f"POL-{first}-{i}",
            subscriber_id=persons[3 * i].id,  # type: ignore[arg-type]
            line_of_business_id=book.health.id,  # type: ignore[arg-type]
            data_access_group_id=book.dag_eu.id,  # type: ignore[arg-type]
            start_date=since,
        )
        for i in range(count)
    ]
    s.add_all(policies)
    await s.flush()
    roles = (Relationship.SUBSCRIBER, Relationship.SPOUSE, Relationship.CHILD)
    for i, policy in enumerate(policies):
        s.add_all(
            [
                PolicyMember(
                    policy_id=policy.id,
                    person_id=persons[3 * i + n].id,  # type: ignore[arg-type]
                    relationship=role,
                    start_date=since,
                    end_date=date(2040, 12, 31) if role is Relationship.CHILD else None,
                )
                for n, role in enumerate(roles)
            ]
            + [
                PolicyAccountLink(
                    policy_id=policy.id,
                    group_account_id=where.account.id,
                    start_date=since,  # type: ignore[arg-type]
                ),
                PolicyClassLink(
                    policy_id=policy.id,
                    insurable_class_id=where.staff.id,
                    start_date=since,  # type: ignore[arg-type]
                ),
                EnrollmentProduct(
                    policy_id=policy.id,
                    product_id=book.medical.id,  # type: ignore[arg-type]
                    coverage_tier=CoverageTier.FAMILY,
                    start_date=since,
                ),
            ]
        )
    await s.commit()
    return policies


async def settings_reference(book: Book) -> None:
    """Premium schedules, adjustment rules, brokers, billing accounts, provider groups and
    two parameters of the medical product, each known by its code."""
    s = book.session
    standard = PremiumSchedule(code="PS-STD", name="Standard", currency="EUR")
    executive = PremiumSchedule(code="PS-EXEC", name="Executive", currency="EUR")
    own = PremiumSchedule(code="PS-OWN", name="Negotiated for one member", currency="EUR")
    s.add_all([standard, executive, own])
    await s.flush()
    s.add_all(
        PremiumRate(
            premium_schedule_id=schedule.id,
            age_from=0,
            age_to=120,
            coverage_tier=tier,
            amount=Decimal(amount),
        )
        for schedule, amount in ((standard, "100.00"), (executive, "180.00"), (own, "90.00"))
        for tier in CoverageTier
    )
    s.add_all(
        [
            AdjustmentRule(
                code="ADJ-LOYAL", name="Loyalty", kind=AdjustmentKind.PERCENTAGE, value=-5
            ),
            AdjustmentRule(
                code="ADJ-FEE",
                name="Administration fee",
                kind=AdjustmentKind.AMOUNT,
                value=Decimal("2.50"),
                currency="EUR",
            ),
            AdjustmentRule(
                code="ADJ-SIZE", name="Large group", kind=AdjustmentKind.PERCENTAGE, value=-3
            ),
            BrokerAgent(code="BRK-A", name="Broker A"),
            BrokerAgent(code="BRK-B", name="Broker B"),
            BillingAccount(code="BILL-HQ", name="Head office"),
            BillingAccount(code="BILL-OWN", name="The member's own"),
            ProviderGroup(code="NET-A", name="Network A"),
            ProviderGroup(code="NET-B", name="Network B"),
            ProductParameter(product_id=book.medical.id, name="DEDUCTIBLE"),
            ProductParameter(product_id=book.medical.id, name="COPAY"),
        ]
    )
    await s.commit()


def viewers(root_code: str) -> dict[str, Principal]:
    """An admin, and restricted roles whose grants reach every row of the group `root_code`:
    the EU/HEALTH back office (the factories' rows are EU and HEALTH) and its group manager."""
    return {
        "admin": Principal("admin-1", frozenset({Role.ADMIN})),
        "backoffice": Principal(
            "bo-1",
            frozenset({Role.BACKOFFICE}),
            data_access_groups=frozenset({"EU"}),
            lines_of_business=frozenset({"HEALTH"}),
        ),
        "group_manager": Principal(
            "hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({root_code})
        ),
    }


async def tree(book: Book, *, size: int, depth: int) -> GroupClient:
    """A tree of `size` group clients, `depth` levels deep, filled breadth first, each with an account."""
    fanout = 1
    while sum(fanout**level for level in range(depth)) < size:
        fanout += 1
    root = await book.client()
    await book.account(root, classes=2, products=2)
    queue, made = [(root, 0)], 1
    for parent, level in queue:
        if made >= size:
            break
        if level == depth - 1:
            continue
        for _ in range(min(fanout, size - made)):
            child = await book.client(parent)
            await book.account(child, classes=2, products=2)
            queue.append((child, level + 1))
            made += 1
    await book.session.commit()
    return root


async def shop(book: Book, where: Place, *, since: date | None = None) -> Product:
    """A catalogue for `where`'s account from `since` (long ago by default): the upgrade
    UP-PLUS from MED-PPO to MED-PLUS (sold in every tier and offered to every class) in the
    member's tier, 25.00 EUR a month, and the service GYM, 40.00 EUR; the employer pays
    nothing of either. Returns MED-PLUS."""
    s = book.session
    plus = getattr(book, "plus", None)
    if plus is None:
        plus = Product(
            code="MED-PLUS",
            name="Medical PPO plus",
            kind=ProductKind.MEDICAL,
            line_of_business_id=book.health.id,  # type: ignore[arg-type]
        )
        s.add(plus)
        await s.flush()
        s.add_all(ProductCoverageTier(product_id=plus.id, tier=tier) for tier in CoverageTier)  # type: ignore[arg-type]
        book.plus = plus  # type: ignore[attr-defined]
    s.add(GroupAccountProduct(group_account_id=where.account.id, product_id=plus.id))  # type: ignore[arg-type]
    start = since or date(2000, 1, 1)
    money = {"currency": "EUR", "employer_share": Decimal("0.00"), "start_date": start}
    s.add_all(
        [
            CatalogueItem(
                group_account_id=where.account.id,  # type: ignore[arg-type]
                kind=ItemKind.UPGRADE,
                code="UP-PLUS",
                name="Medical plus",
                from_product_id=book.medical.id,
                to_product_id=plus.id,
                price=Decimal("25.00"),
                **money,  # type: ignore[arg-type]
            ),
            CatalogueItem(
                group_account_id=where.account.id,  # type: ignore[arg-type]
                kind=ItemKind.SERVICE,
                code="GYM",
                name="A year at the gym",
                price=Decimal("40.00"),
                **money,  # type: ignore[arg-type]
            ),
        ]
    )
    await s.commit()
    return plus


async def employee_asks_to_end(session: AsyncSession, policy_id: int, end: str) -> None:
    """The policy's employee asks, through the workflow, to end it on `end` (ISO): an approval
    in its group manager's inbox. The caller commits."""
    await submit.submit(
        session,
        actor=Actor("employee-1", EVERYTHING),
        roles=frozenset({Role.EMPLOYEE}),
        limits=PolicyLimits(),
        submission=submit.Submission(
            RequestType.TERMINATION, Channel.EMPLOYEE, {"policy_id": policy_id, "end_date": end}
        ),
    )
