"""A group to configure: ACME with an account whose policy is enrolled in medical."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from domain.groups.models import GroupAccountProduct
from schema.core.relay import global_id
from tests.factories import Book, Place, place, settings_reference
from tests.graphql import GraphQLClient, ok
from tests.schema.policies.enrol import days, enrol

SET = """
mutation Set($input: SettingSetInput!) {
  settingSet(input: $input) { settingId errors { field code message } }
}
"""

EFFECTIVE = """
  premiumSchedule { value { code } source { level id } }
  adjustments { rule { code } value overridden source { level id } }
  brokerAgent { value { code } source { level id } }
  collectionSetting { value source { level id } }
  billingAccount { value { code } source { level id } }
  billAllocation { value source { level id } }
  groupCommissionRate { value source { level id } }
  processFlow { value source { level id } }
  assignedProviderGroup { value { code } source { level id } }
  parameterValues { name value source { level id } }
"""


@dataclass
class Group:
    """ACME (under HOLDING), its account, the account's medical offer, and a policy."""

    holding: str
    client: str
    account: str
    offer: str
    policy: str
    enrolment: str
    where: Place


@pytest.fixture
async def group(admin: GraphQLClient, session: Any) -> Group:
    book = await Book(session).setup()
    await settings_reference(book)
    holding = await place(book, code="HOLDING")
    where = await place(book, code="ACME", parent=holding.client)
    offer = await session.scalar(
        sa.select(col(GroupAccountProduct.id)).where(
            col(GroupAccountProduct.group_account_id) == where.account.id,
            col(GroupAccountProduct.product_id) == book.medical.id,
        )
    )
    policy = await enrol(admin, where, startDate=days(-30), dependants=[])
    found = await admin.query(
        "query($id: ID!) { policy(id: $id) { history { enrollmentProducts { id } } } }",
        {"id": policy["id"]},
    )
    return Group(
        holding=global_id("GroupClient", holding.client.id),  # type: ignore[arg-type]
        client=global_id("GroupClient", where.client.id),  # type: ignore[arg-type]
        account=global_id("GroupAccount", where.account.id),  # type: ignore[arg-type]
        offer=global_id("GroupAccountProduct", offer),
        policy=policy["id"],
        enrolment=found["policy"]["history"]["enrollmentProducts"][0]["id"],
        where=where,
    )


async def set_(admin: GraphQLClient, owner: str, kind: str, **value: Any) -> str:
    """Set a setting through the API; return its id."""
    payload = await admin.mutate(SET, {"input": {"ownerId": owner, "kind": kind, **value}})
    return ok(payload)["settingId"]


async def effective(admin: GraphQLClient, node: str, as_of: str | None = None) -> dict[str, Any]:
    """The effective settings of any object that has them."""
    query = f"""
    query($id: ID!, $asOf: Date) {{
      node(id: $id) {{
        ... on GroupClient {{ effectiveSettings(asOf: $asOf) {{ {EFFECTIVE} }} }}
        ... on GroupAccount {{ effectiveSettings(asOf: $asOf) {{ {EFFECTIVE} }} }}
        ... on GroupAccountProduct {{ effectiveSettings(asOf: $asOf) {{ {EFFECTIVE} }} }}
        ... on Policy {{ effectiveSettings(asOf: $asOf) {{ {EFFECTIVE} }} }}
        ... on EnrollmentProduct {{ effectiveSettings(asOf: $asOf) {{ {EFFECTIVE} }} }}
      }}
    }}
    """
    data = await admin.query(query, {"id": node, "asOf": as_of})
    return data["node"]["effectiveSettings"]
