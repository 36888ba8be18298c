"""Enrolling through the API, for tests that need a policy made the way users make one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.policies.limits import utc_today
from schema.core.relay import global_id
from tests.factories import Place
from tests.graphql import GraphQLClient, ok

TODAY = utc_today()

POLICY_FIELDS = """
  id number status version startDate endDate
  subscriber { id personNumber givenName familyName nationalId }
  members { person { id givenName } relationship startDate endDate ageLimitDate }
  groupAccount { code }
  insurableClass { code }
  enrollmentProducts { product { code } coverageTier startDate endDate }
  lineOfBusiness { code }
  dataAccessGroup { code }
"""

ENROLL = f"""
mutation Enroll($input: PolicyEnrollInput!) {{
  policyEnroll(input: $input) {{
    policy {{ {POLICY_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""


def days(n: int) -> str:
    """The ISO date `n` days from today (negative: in the past)."""
    return (TODAY + timedelta(days=n)).isoformat()


def years_ago(years: int, *, days_more: int = 0) -> str:
    """An ISO birth date `years` years (and `days_more` days) before today."""
    born = (
        TODAY.replace(year=TODAY.year - years)
        if not (TODAY.month == 2 and TODAY.day == 29)
        else date(TODAY.year - years, 2, 28)
    )
    return (born - timedelta(days=days_more)).isoformat()


def person(given: str, *, born: str | None = None, **more: Any) -> dict[str, Any]:
    """A person input."""
    return {
        "givenName": given,
        "familyName": "Doe",
        "birthDate": born or years_ago(40),
        "gender": "UNKNOWN",
        **more,
    }


def enrol_input(where: Place, **changes: Any) -> dict[str, Any]:
    """The input of a family's enrolment in `where`'s account, class STAFF, medical in the tier
    that fits the family (FAMILY for the default one)."""
    values = {
        "groupAccountId": global_id("GroupAccount", where.account.id),  # type: ignore[arg-type]
        "insurableClassId": global_id("InsurableClass", where.staff.id),  # type: ignore[arg-type]
        "startDate": days(0),
        "subscriber": {"person": person("John", nationalId="NID-JOHN")},
        "dependants": [
            {"person": person("Jane"), "relationship": "SPOUSE"},
            {"person": person("Jim", born=years_ago(10)), "relationship": "CHILD"},
        ],
    }
    given = {**values, **changes}
    given.setdefault(
        "products", [{"productCode": "MED-PPO", "coverageTier": tier_for(given["dependants"])}]
    )
    return {"input": given}


def tier_for(dependants: list[dict[str, Any]]) -> str:
    """The tier that fits a family of these dependants (FAMILY for the default family)."""
    kinds = {d["relationship"] in ("SPOUSE", "DOMESTIC_PARTNER") for d in dependants}
    return {
        frozenset(): "EMPLOYEE_ONLY",
        frozenset({True}): "EMPLOYEE_SPOUSE",
        frozenset({False}): "EMPLOYEE_CHILDREN",
    }.get(frozenset(kinds), "FAMILY")


async def enrol(client: GraphQLClient, where: Place, **changes: Any) -> dict[str, Any]:
    """Enrol a family and return the new policy, failing on any error."""
    return ok(await client.mutate(ENROLL, enrol_input(where, **changes)))["policy"]
