"""GraphQL types of bills: a month's charges per client, billing account and allocation."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Self

import strawberry

from domain.premiums import bills
from domain.settings.models import BillAllocation
from schema.core.context import Info
from schema.core.cost import bound
from schema.groups.types import GroupClient
from schema.policies.types import Policy
from schema.reference.types import Product
from schema.settings.types import Coded

BILL_LINES = 1000
"""The lines a bill is taken to hold, for the cost of a query (not enforced)."""


@strawberry.type(description="What a policy owes for a product on a bill, after every run.")
class BillLine:
    amount: Decimal = strawberry.field(description="The net of its charges and reversals.")
    employer_share: Decimal = strawberry.field(description="What the employer pays of it.")
    employee_share: Decimal = strawberry.field(description="What the employee pays of it.")
    commission: Decimal = strawberry.field(
        description="The broker's commission on it, rounded half-even to the cent."
    )
    commission_rate: Decimal | None = strawberry.field(
        description="The account's GROUP_COMMISSION_RATE, a percentage; null when none is set."
    )
    row: strawberry.Private[bills.BillLine]

    @classmethod
    def from_line(cls, line: bills.BillLine) -> Self:
        return cls(
            amount=line.amount,
            employer_share=line.employer_amount,
            employee_share=line.employee_amount,
            commission=line.commission,
            commission_rate=line.commission_rate,
            row=line,
        )

    @strawberry.field(description="The policy.")
    async def policy(self, info: Info) -> Policy | None:
        found = await info.context.loaders.policies.policy_by_id.load(self.row.policy_id)
        return Policy.from_model(found) if found else None

    @strawberry.field(description="The product.")
    async def product(self, info: Info) -> Product | None:
        found = await info.context.loaders.reference.product_by_id.load(self.row.product_id)
        return Product.from_model(found) if found else None


@strawberry.type(description="One invoice of a month: charges net of reversals, by line.")
class Bill:
    key: str = strawberry.field(
        description="Names the bill among a month's: period, client, billing account, part."
    )
    period: str = strawberry.field(description="The month, YYYY-MM.")
    allocation: BillAllocation = strawberry.field(
        description="How the client's bill is split (the account's BILL_ALLOCATION; "
        "SINGLE_BILL when none is set)."
    )
    currency: str = strawberry.field(description="ISO 4217.")
    total: Decimal = strawberry.field(description="The sum of its lines.")
    employer_total: Decimal = strawberry.field(description="What the employer pays.")
    employee_total: Decimal = strawberry.field(description="What the employees pay.")
    commission: Decimal = strawberry.field(description="The broker's commission on it.")
    found: strawberry.Private[bills.Bill]

    @classmethod
    def of(cls, bill: bills.Bill) -> Self:
        return cls(
            key=bill.key,
            period=bill.period,
            allocation=bill.allocation,
            currency=bill.currency,
            total=bill.total,
            employer_total=bill.employer_total,
            employee_total=bill.employee_total,
            commission=bill.commission,
            found=bill,
        )

    @strawberry.field(description="The group client billed, if you may see it.")
    async def group_client(self, info: Info) -> GroupClient | None:
        loader = info.context.loaders.groups.group_client_by_id
        found = await loader.load(self.found.group_client_id)
        return GroupClient.from_model(found) if found else None

    @strawberry.field(
        description="The billing account (the policy's or client's BILLING_ACCOUNT); null "
        "when none is set or you may not read settings."
    )
    async def billing_account(self, info: Info) -> Coded | None:
        if self.found.billing_account_id is None:
            return None
        loader = info.context.loaders.settings.billing_account_by_id
        found = await loader.load(self.found.billing_account_id)
        return Coded.from_model(found) if found else None

    @strawberry.field(description="Its lines, by policy and product.", metadata=bound(BILL_LINES))
    def lines(self) -> list[BillLine]:
        return [BillLine.from_line(line) for line in self.found.lines]

    @strawberry.field(
        description="The bill as CSV (RFC 4180): a header, then a row per line: policy "
        "number, product code, amount, employer's and employee's shares, commission."
    )
    async def csv(self, info: Info) -> str:
        lines = self.found.lines
        policies = await info.context.loaders.policies.policy_by_id.load_many(
            [line.policy_id for line in lines]
        )
        products = await info.context.loaders.reference.product_by_id.load_many(
            [line.product_id for line in lines]
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["bill", "period", "currency", "policy", "product", "amount",
                         "employer_share", "employee_share", "commission"])  # fmt: skip
        for line, policy, product in zip(lines, policies, products, strict=True):
            writer.writerow([
                self.key, self.period, self.currency,
                policy.number if policy else "", product.code if product else "",
                line.amount, line.employer_amount, line.employee_amount, line.commission,
            ])  # fmt: skip
        return out.getvalue()
