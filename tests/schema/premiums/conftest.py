"""A configured group (see tests/schema/settings/conftest.py) and how to ask its premium."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.graphql import GraphQLClient
from tests.schema.policies.enrol import TODAY
from tests.schema.settings.conftest import Group, group, set_

__all__ = ["NEXT_MONTH", "Group", "group", "premium", "set_"]

NEXT_MONTH = (TODAY.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
"""A month the group's policy (open-ended, started 30 days ago) covers whole."""

PREMIUM = """
query($id: ID!, $period: String) {
  node(id: $id) { ... on Policy { premium(period: $period) {
    total currency employerShare employeeShare
    lines { amount baseRate age ageFrom ageTo days periodDays schedule coverageTier
            employerShare employeeShare contribution
            scheduleSource { level id }
            contributionSource { level id }
            adjustments { rule value overridden amount source { level id } } }
    problems { code message setting source { level id } }
  } } }
}
"""


async def premium(client: GraphQLClient, policy: str, period: str = NEXT_MONTH) -> Any:
    """A policy's premium for a month, through the API."""
    data = await client.query(PREMIUM, {"id": policy, "period": period})
    return data["node"]["premium"]
