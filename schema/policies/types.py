"""GraphQL types of persons, policies, their members and what a policy is linked to."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any, Self, TypeAlias

import strawberry
from graphql import GraphQLResolveInfo
from strawberry import relay
from strawberry.dataloader import DataLoader

from authz.access import FINANCIAL_FIELDS, PERSONAL_FIELDS, PREMIUMS_READ
from domain.core.periods import as_of, holds
from domain.policies import models
from domain.policies.ages import age_limit_end
from domain.reference import models as reference
from domain.settings.models import SettingLevel
from schema.core.asked import asks, asks_path
from schema.core.built import maker
from schema.core.columns import person_columns
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.direct import direct
from schema.core.permissions import guarded
from schema.core.relay import CountedConnection, RowNode
from schema.dynamic.types import DYNAMIC_FIELDS, DynamicFieldValue, FieldTarget, dynamic_values
from schema.groups.types import GroupAccount, InsurableClass
from schema.policies.coverage import Coverage
from schema.premiums.types import PolicyPremium
from schema.premiums.types import window as premium_window
from schema.reference.types import CoverageTier, DataAccessGroup, LineOfBusiness, Product
from schema.settings.types import EffectiveSettings, effective_field, load_effective

strawberry.enum(models.Gender, description="A person's gender as the insurer records it.")
strawberry.enum(models.Relationship, description="How a member relates to the subscriber.")
strawberry.enum(
    models.PolicyStatus,
    description="ACTIVE: runs open-ended; TERMINATED: ended on its end date.",
)
Gender = models.Gender
Relationship = models.Relationship
PolicyStatus = models.PolicyStatus

_AS_OF = "The day to answer for; today (UTC) when left out."
_START = "The first day, included."
_END = "The last day, included; null while open-ended."

FAMILY = 10
"""The members a policy is taken to insure at once, for the cost of a query (not enforced)."""


def _personal(column: str, description: str) -> Any:
    """A person's column that only callers allowed personal fields may read; resolved
    directly, as a list of members reads it thousands of times."""

    reads = attrgetter(f"row.{column}")

    def resolve(root: Person, info: GraphQLResolveInfo) -> Any:
        return reads(root)

    return direct(resolve, description=description, need=PERSONAL_FIELDS, reads=reads)


def _day(info: Info, day: date | None) -> date:
    return day if day is not None else info.context.today()


@strawberry.type(
    description="A human being, once, however many policies and groups insure them: who they "
    "are and how to reach them at home, the same for every employer. What an employer knows of "
    "them as its employee is on its policy (`Policy.employment`)."
)
class Person(RowNode):
    id: relay.NodeID[int]
    person_number: str = strawberry.field(description="The insurer's number for the person.")
    version: int = strawberry.field(description="Bumped by every change; send it back to update.")
    row: strawberry.Private[models.Person]

    given_name: str | None = _personal("given_name", "The given name.")
    family_name: str | None = _personal("family_name", "The family name.")
    birth_date: date | None = _personal("birth_date", "The date of birth.")
    gender: Gender | None = _personal("gender", "The gender.")
    national_id: str | None = _personal("national_id", "The national identity number.")
    email: str | None = _personal(
        "email", "The personal e-mail address; a work address is on the policy's employment."
    )
    phone: str | None = _personal("phone", "The telephone number.")
    address_line: str | None = _personal("address_line", "Street and number.")
    postal_code: str | None = _personal("postal_code", "The postal code.")
    city: str | None = _personal("city", "The city.")
    country: str | None = _personal("country", "The ISO 3166 country code.")

    @classmethod
    def from_model(cls, row: models.Person) -> Self:
        return _person(row.id, row.person_number, row.version, row)  # type: ignore[return-value]

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.policies.person_by_id


_person = maker(Person)


@strawberry.type(
    description="What the subscriber's employer knows of them: each employer sees only its own."
)
class Employment:
    employee_number: str | None = strawberry.field(description="The employer's number for them.")
    work_email: str | None = strawberry.field(description="The work e-mail address.")
    salary: Decimal | None = strawberry.field(description="The yearly salary, where used.")
    salary_currency: str | None = strawberry.field(description="The salary's ISO 4217 currency.")

    @classmethod
    def of(cls, row: models.Policy) -> Self:
        return cls(
            employee_number=row.employee_number,
            work_email=row.work_email,
            salary=row.salary,
            salary_currency=row.salary_currency,
        )


def _employment(root: Policy, info: GraphQLResolveInfo) -> Employment:
    return Employment.of(root.row)


@strawberry.type(description="A person insured on a policy during a period.")
class PolicyMember:
    relationship: Relationship = strawberry.field(description="How they relate to the subscriber.")
    start_date: date = strawberry.field(description=_START)
    end_date: date | None = strawberry.field(description=_END)
    person: Person | None = strawberry.field(description="The person insured.")
    row: strawberry.Private[models.PolicyMember]

    @classmethod
    def of(cls, member: Member) -> Self:
        row, person = member
        return _member(  # type: ignore[return-value]
            row.relationship,
            row.start_date,
            row.end_date,
            Person.from_model(person) if person is not None else None,
            row,
        )

    @strawberry.field(
        **guarded(
            FINANCIAL_FIELDS,
            "The IBAN the insurer pays this member's refunds under this policy to; known to "
            "this policy only, not to the member's other employers.",
        )
    )
    def refund_iban(self) -> str | None:
        return self.row.refund_iban

    @strawberry.field(
        **guarded(
            PERSONAL_FIELDS,
            "For a child, the last day before the age limit (GROUPCOVER_CHILD_MAX_AGE), when "
            "their coverage ends at the latest; null for other members.",
        )
    )
    def age_limit_date(self, info: Info) -> date | None:
        if self.row.relationship != models.Relationship.CHILD or self.person is None:
            return None
        birth_date = self.person.row.birth_date
        return age_limit_end(birth_date, info.context.policy_limits.child_max_age)


_member = maker(PolicyMember)

Member: TypeAlias = tuple[models.PolicyMember, models.Person | None]
"""A member's row and their person's, None when the query does not ask for persons (whoever
sees a policy sees its members' persons: see domain.policies.access.persons)."""

_NEEDS_PERSON = frozenset({"person", "ageLimitDate"})
_NEEDS_MEMBERS = frozenset({"members"})
_PRODUCT = ("product",)


async def _members(info: Info, policy_id: int) -> list[Member]:
    """Every member row of a policy; with their persons, in the same batch, when asked."""
    (members,) = await _members_of(info, [policy_id])
    return members


async def _members_of(info: Info, policy_ids: list[int]) -> list[list[Member]]:
    loaders = info.context.loaders.policies
    page = tuple(policy_ids)
    if asks(info, _NEEDS_PERSON):
        columns = person_columns(info)
        return await loaders.members_with_persons_by_policies_and_columns.load((page, columns))
    found = await loaders.members_by_policies.load(page)
    return [[(row, None) for row in rows] for rows in found]


def _current(members: list[Member], day: date) -> list[PolicyMember]:
    """The members in force on `day`, the subscriber first, then by id: the loaders give a
    policy's members by id (paging.fetch_grouped), so two passes keep that order without a
    sort key for each of a large answer's thousands of members."""
    subscriber = models.Relationship.SUBSCRIBER
    current = [member for member in members if holds(member[0], day)]
    return [
        PolicyMember.of(member) for member in current if member[0].relationship == subscriber
    ] + [PolicyMember.of(member) for member in current if member[0].relationship != subscriber]


@strawberry.type(description="The group account a policy belonged to during a period.")
class PolicyGroupAccountPeriod:
    start_date: date = strawberry.field(description=_START)
    end_date: date | None = strawberry.field(description=_END)
    row: strawberry.Private[models.PolicyAccountLink]

    @strawberry.field(description="The group account; null when you may not see it.")
    async def group_account(self, info: Info) -> GroupAccount | None:
        row = await info.context.loaders.groups.group_account_by_id.load(self.row.group_account_id)
        return GroupAccount.from_model(row) if row else None


@strawberry.type(description="The insurable class a policy belonged to during a period.")
class PolicyInsurableClassPeriod:
    start_date: date = strawberry.field(description=_START)
    end_date: date | None = strawberry.field(description=_END)
    row: strawberry.Private[models.PolicyClassLink]

    @strawberry.field(description="The insurable class; null when you may not see it.")
    async def insurable_class(self, info: Info) -> InsurableClass | None:
        loader = info.context.loaders.groups.insurable_class_by_id
        row = await loader.load(self.row.insurable_class_id)
        return InsurableClass.from_model(row) if row else None


@strawberry.type(description="A product a policy has, in a coverage tier, during a period.")
class EnrollmentProduct(RowNode):
    id: relay.NodeID[int]
    coverage_tier: CoverageTier = strawberry.field(description="Who the product covers.")
    start_date: date = strawberry.field(description=_START)
    end_date: date | None = strawberry.field(description=_END)
    row: strawberry.Private[models.EnrollmentProduct]
    product_row: strawberry.Private[reference.Product | None] = None
    """The product's row, when it was read with this row (`Policy.enrollmentProducts`)."""

    @classmethod
    def from_model(
        cls, row: models.EnrollmentProduct, product: reference.Product | None = None
    ) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            coverage_tier=row.coverage_tier,
            start_date=row.start_date,
            end_date=row.end_date,
            row=row,
            product_row=product,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.policies.enrollment_product_by_id

    @strawberry.field(description="The product.", graphql_type=Product)
    def product(self, info: Info) -> Product | Awaitable[Product]:
        # Sync when read with this row (see `Policy.enrollment_products`); else by the loader.
        if self.product_row is not None:
            return Product.from_model(self.product_row)
        return self._load_product(info)

    async def _load_product(self, info: Info) -> Product:
        row = await info.context.loaders.reference.product_by_id.load(self.row.product_id)
        return Product.from_model(row)

    @strawberry.field(**effective_field("enrolment product"))
    async def effective_settings(
        self, info: Info, as_of: date | None = None
    ) -> EffectiveSettings | None:
        return await load_effective(info, SettingLevel.ENROLLMENT_PRODUCT, self.id, as_of)


@strawberry.type(description="Every dated row of a policy, each list in order of start.")
class PolicyHistory:
    members: list[PolicyMember] = strawberry.field(
        description="Each member's periods.", metadata=bound(2 * FAMILY)
    )
    group_accounts: list[PolicyGroupAccountPeriod] = strawberry.field(
        description="The group accounts the policy belonged to, and when.", metadata=bound(10)
    )
    insurable_classes: list[PolicyInsurableClassPeriod] = strawberry.field(
        description="The insurable classes the policy belonged to, and when.", metadata=bound(10)
    )
    enrollment_products: list[EnrollmentProduct] = strawberry.field(
        description="The products the policy had, and when.", metadata=bound(2 * FAMILY)
    )


def _start_order(row: Any) -> tuple[date, int]:
    return (row.start_date, row.id)


def _by_start(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=_start_order)


@strawberry.type(description="The contract of a subscriber and the family insured with them.")
class Policy(RowNode):
    id: relay.NodeID[int]
    number: str = strawberry.field(description="The policy number, unique.")
    status: PolicyStatus = strawberry.field(description="Whether it runs or was terminated.")
    start_date: date = strawberry.field(description="The first day of coverage.")
    end_date: date | None = strawberry.field(description="The last day; null while it runs.")
    version: int = strawberry.field(description="Bumped by every change; send it back to change.")
    row: strawberry.Private[models.Policy]
    employment: Employment | None = direct(
        _employment,
        description="The subscriber's employment in this policy's group: employee number, work "
        "e-mail, salary.",
        need=PERSONAL_FIELDS,
    )
    member_rows: strawberry.Private[list[Member] | None] = None
    """Every member row of the policy, loaded with its page when the query asks for members."""

    @classmethod
    def from_model(cls, row: models.Policy) -> Self:
        return _policy(  # type: ignore[return-value]
            row.id, row.number, row.status, row.start_date, row.end_date, row.version, row, None
        )

    @classmethod
    async def page(cls, info: Info, rows: Sequence[models.Policy]) -> list[Self]:
        """The policies of one page; when the query asks for their members, these are loaded
        for the whole page at once (with their persons when asked), so that `members`
        resolves without waiting."""
        policies = [cls.from_model(row) for row in rows]
        if policies and asks(info, _NEEDS_MEMBERS):
            ids = [policy.id for policy in policies]
            for policy, members in zip(policies, await _members_of(info, ids), strict=True):
                policy.member_rows = members
        return policies

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.policies.policy_by_id

    @strawberry.field(**DYNAMIC_FIELDS)
    async def dynamic_fields(self, info: Info) -> list[DynamicFieldValue]:
        return await dynamic_values(info, FieldTarget.POLICY, self.row.dynamic_fields)

    @strawberry.field(description="The employee who holds the policy.")
    async def subscriber(self, info: Info) -> Person | None:
        row = await info.context.loaders.policies.person_by_id.load(self.row.subscriber_id)
        return Person.from_model(row) if row else None

    @strawberry.field(
        description="The members insured on the day, the subscriber first.",
        graphql_type=list[PolicyMember],
        metadata=bound(FAMILY),
    )
    def members(
        self, info: Info, as_of: date | None = None
    ) -> list[PolicyMember] | Awaitable[list[PolicyMember]]:
        # Sync when the page loaded the members (see `page`): a list of policies then pays
        # for no await per policy. A policy fetched alone loads its own.
        day = _day(info, as_of)
        if self.member_rows is not None:
            return _current(self.member_rows, day)
        return self._load_members(info, day)

    async def _load_members(self, info: Info, day: date) -> list[PolicyMember]:
        return _current(await _members(info, self.id), day)

    @strawberry.field(description="The group account the policy belongs to on the day.")
    async def group_account(self, info: Info, as_of: date | None = None) -> GroupAccount | None:
        links = await info.context.loaders.policies.account_links_by_policy.load(self.id)
        link = next(iter(as_of_rows(links, _day(info, as_of))), None)
        if link is None:
            return None
        row = await info.context.loaders.groups.group_account_by_id.load(link.group_account_id)
        return GroupAccount.from_model(row) if row else None

    @strawberry.field(description="The insurable class the policy belongs to on the day.")
    async def insurable_class(self, info: Info, as_of: date | None = None) -> InsurableClass | None:
        links = await info.context.loaders.policies.class_links_by_policy.load(self.id)
        link = next(iter(as_of_rows(links, _day(info, as_of))), None)
        if link is None:
            return None
        row = await info.context.loaders.groups.insurable_class_by_id.load(link.insurable_class_id)
        return InsurableClass.from_model(row) if row else None

    @strawberry.field(description="The products the policy has on the day.", metadata=bound(FAMILY))
    async def enrollment_products(
        self, info: Info, as_of: date | None = None
    ) -> list[EnrollmentProduct]:
        loaders = info.context.loaders.policies
        day = _day(info, as_of)
        if asks_path(info, _PRODUCT):
            # With their products in the same statement, when asked: a round trip less.
            pairs = await loaders.enrollment_products_with_products_by_policy.load(self.id)
            return [EnrollmentProduct.from_model(*pair) for pair in pairs if holds(pair[0], day)]
        rows = await loaders.enrollment_products_by_policy.load(self.id)
        return [EnrollmentProduct.from_model(row) for row in as_of_rows(rows, day)]

    @strawberry.field(description="Every period of the policy's members, links and products.")
    async def history(self, info: Info) -> PolicyHistory:
        loaders = info.context.loaders.policies
        members = await _members(info, self.id)
        accounts = await loaders.account_links_by_policy.load(self.id)
        classes = await loaders.class_links_by_policy.load(self.id)
        products = await loaders.enrollment_products_by_policy.load(self.id)
        return PolicyHistory(
            members=[PolicyMember.of(m) for m in sorted(members, key=lambda m: _start_order(m[0]))],
            group_accounts=[PolicyGroupAccountPeriod(**_period(r)) for r in _by_start(accounts)],
            insurable_classes=[
                PolicyInsurableClassPeriod(**_period(r)) for r in _by_start(classes)
            ],
            enrollment_products=[EnrollmentProduct.from_model(r) for r in _by_start(products)],
        )

    @strawberry.field(
        description="What the policy covers on the day, as its members see it: the names of "
        "its account and class, its products and tiers, each with its provider group and "
        "parameter values. Read by whoever reads the policy, unlike `effectiveSettings`."
    )
    async def coverage(self, info: Info, as_of: date | None = None) -> Coverage:
        return await Coverage.load(info, self.id, _day(info, as_of))

    @strawberry.field(**effective_field("policy"))
    async def effective_settings(
        self, info: Info, as_of: date | None = None
    ) -> EffectiveSettings | None:
        return await load_effective(info, SettingLevel.POLICY, self.id, as_of)

    @strawberry.field(
        **guarded(
            PREMIUMS_READ,
            "What the policy costs for a month (`period`, YYYY-MM; or the month holding "
            "`asOf`; this month when both are left out), line by line: rate, adjustments, "
            "proration by day, who pays, and where every setting used came from.",
        )
    )
    async def premium(
        self, info: Info, period: str | None = None, as_of: date | None = None
    ) -> PolicyPremium | None:
        asked = premium_window(period, as_of, info.context.today())
        return await PolicyPremium.load(info, self.id, asked)

    @strawberry.field(description="The policy's own line of business (not its group's).")
    async def line_of_business(self, info: Info) -> LineOfBusiness:
        return await LineOfBusiness.load(info, self.row.line_of_business_id)

    @strawberry.field(description="The policy's own data access group (not its group's).")
    async def data_access_group(self, info: Info) -> DataAccessGroup:
        return await DataAccessGroup.load(info, self.row.data_access_group_id)


_policy = maker(Policy)


def as_of_rows(rows: list[Any], day: date) -> list[Any]:
    """The dated rows in force on `day`."""
    return list(as_of(rows, day))


def _period(row: Any) -> dict[str, Any]:
    return {"start_date": row.start_date, "end_date": row.end_date, "row": row}


@strawberry.type(name="PolicyConnection", description="A page of policies.")
class PolicyConnection(CountedConnection[Policy]):
    pass
