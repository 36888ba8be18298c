"""What a request asked and what it registered are personal data (issue 13, 4)."""

from __future__ import annotations

import json

from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.graphql import GraphQLClient
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import submitted

REQUESTS = """
{ workflowRequests { edges { node { type state submittedBy result details } } } }
"""


def _reporting(cast: Cast) -> GraphQLClient:
    principal = Principal(
        "rep-1",
        frozenset({Role.REPORTING}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    return GraphQLClient(cast.admin.http, token_for(principal))


async def test_the_reporting_role_reads_no_names_through_a_certificate(cast: Cast) -> None:
    # given a certificate issued to John, which lists his family by name
    await submitted(cast.employee, type="CERTIFICATE", channel="EMPLOYEE", policyId=cast.policy_id)
    await cast.runner.drain()
    # when the reporting role and the back office list the requests
    as_reporting = await _reporting(cast).raw(REQUESTS)
    as_back_office = await cast.back_office.query(REQUESTS)
    # then reporting sees the request, not what it asked or what it registered
    (edge,) = as_reporting["data"]["workflowRequests"]["edges"]
    assert edge["node"] == {
        "type": "CERTIFICATE",
        "state": "COMPLETED",
        "submittedBy": "emp-john",
        "result": None,
        "details": None,
    }
    assert {(e["path"][-1], e["extensions"]["code"]) for e in as_reporting["errors"]} == {
        ("result", "FORBIDDEN"),
        ("details", "FORBIDDEN"),
    }
    assert "Doe" not in json.dumps(as_reporting)
    (seen,) = as_back_office["workflowRequests"]["edges"]
    assert seen["node"]["result"]["insured"][0] == "John Doe (SUBSCRIBER)"
