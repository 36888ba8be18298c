"""policyIdCardIssue and documents: within reach, in a fixed number of statements."""

from __future__ import annotations

import hashlib
from typing import Any

from httpx import AsyncClient

from domain.policies.models import Policy
from schema.core.relay import global_id
from tests.conftest import StatementCounter
from tests.domain.documents.pdfs import text_of
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.documents.conftest import REPORTING

ISSUE = """
mutation Issue($policyId: ID!) {
  policyIdCardIssue(input: {policyId: $policyId, asOf: "2026-06-01"}) {
    document { id kind fileName sha256 size templateVersion retainUntil downloadUrl
               policy { number } }
    errors { field code message }
  }
}
"""
DOCUMENTS = """
query Documents($filter: DocumentFilter) {
  documents(first: 10, filter: $filter) {
    totalCount
    edges { node { kind fileName downloadUrl policy { number } groupClient { code } } }
  }
}
"""


def _policy(policy: Policy) -> str:
    return global_id("Policy", policy.id)  # type: ignore[arg-type]


async def test_a_manager_makes_an_id_card_and_downloads_its_pdf(
    http: AsyncClient, acme_hr: GraphQLClient, acme_policies: list[Policy]
) -> None:
    # when
    made = ok(await acme_hr.mutate(ISSUE, {"policyId": _policy(acme_policies[0])}))["document"]
    response = await http.get(made["downloadUrl"], headers=acme_hr.headers)
    # then
    assert (made["kind"], made["templateVersion"]) == ("ID_CARD", 0)
    assert made["policy"] == {"number": acme_policies[0].number}
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert len(response.content) == made["size"]
    assert "Holder Family 0" in text_of(response.content)


async def test_another_clients_manager_neither_makes_lists_nor_downloads_it(
    http: AsyncClient,
    acme_hr: GraphQLClient,
    globex_hr: GraphQLClient,
    acme_policies: list[Policy],
    globex_policies: list[Policy],
) -> None:
    # given
    made = ok(await acme_hr.mutate(ISSUE, {"policyId": _policy(acme_policies[0])}))["document"]
    # when
    theirs = await globex_hr.mutate(ISSUE, {"policyId": _policy(acme_policies[0])})
    listed = await globex_hr.query(DOCUMENTS)
    hidden = await http.get(made["downloadUrl"], headers=globex_hr.headers)
    unknown = await http.get("/documents/RG9jdW1lbnQ6OTk5OTk=", headers=globex_hr.headers)
    garbage = await http.get("/documents/%00%ff..", headers=globex_hr.headers)
    # then
    refused(theirs, "NOT_FOUND", ["input", "policyId"])
    assert listed["documents"]["totalCount"] == 0
    assert hidden.status_code == unknown.status_code == garbage.status_code == 404
    assert hidden.json() == unknown.json()


async def test_a_download_needs_credentials_and_personal_fields(
    http: AsyncClient, acme_hr: GraphQLClient, acme_policies: list[Policy]
) -> None:
    made = ok(await acme_hr.mutate(ISSUE, {"policyId": _policy(acme_policies[0])}))["document"]
    anonymous = await http.get(made["downloadUrl"])
    forged = await http.get(made["downloadUrl"], headers={"Authorization": "Bearer nope"})
    reporting = await http.get(
        made["downloadUrl"], headers={"Authorization": f"Bearer {REPORTING}"}
    )
    assert (anonymous.status_code, forged.status_code) == (401, 401)
    assert reporting.status_code == 404


async def test_documents_are_filtered_by_kind_and_policy(
    acme_hr: GraphQLClient, acme_policies: list[Policy]
) -> None:
    for policy in acme_policies:
        ok(await acme_hr.mutate(ISSUE, {"policyId": _policy(policy)}))
    first = {"policyId": _policy(acme_policies[0]), "kind": "ID_CARD"}
    assert (await acme_hr.query(DOCUMENTS, {"filter": first}))["documents"]["totalCount"] == 1
    letters = {"kind": "LETTER"}
    assert (await acme_hr.query(DOCUMENTS, {"filter": letters}))["documents"]["totalCount"] == 0


async def test_the_list_takes_the_same_statements_for_one_document_or_many(
    admin: GraphQLClient, acme_policies: list[Policy], statements: StatementCounter
) -> None:
    ok(await admin.mutate(ISSUE, {"policyId": _policy(acme_policies[0])}))
    statements.reset()
    await admin.query(DOCUMENTS)
    for_one = statements.count
    for _ in range(2):
        for policy in acme_policies:
            ok(await admin.mutate(ISSUE, {"policyId": _policy(policy)}))
    statements.reset()
    many = await admin.query(DOCUMENTS)
    assert many["documents"]["totalCount"] == 5
    assert statements.count == for_one, statements.statements


SUBMIT = """
mutation Submit($policyId: ID!) {
  workflowRequestSubmit(input: {type: CERTIFICATE, channel: GROUP_PORTAL, policyId: $policyId}) {
    request { id } errors { field code message }
  }
}
"""
REQUEST = "query R($id: ID!) { node(id: $id) { ... on WorkflowRequest { state result } } }"


async def test_a_certificate_request_makes_a_certificate_pdf(
    http: AsyncClient, acme_hr: GraphQLClient, acme_policies: list[Policy], runner: Any
) -> None:
    # given
    sent = ok(await acme_hr.mutate(SUBMIT, {"policyId": _policy(acme_policies[0])}))
    # when
    await runner.drain()
    # then
    done = (await acme_hr.query(REQUEST, {"id": sent["request"]["id"]}))["node"]
    listed = await acme_hr.query(DOCUMENTS, {"filter": {"kind": "CERTIFICATE"}})
    (edge,) = listed["documents"]["edges"]
    response = await http.get(edge["node"]["downloadUrl"], headers=acme_hr.headers)
    assert done["state"] == "COMPLETED"
    assert edge["node"]["policy"] == {"number": acme_policies[0].number}
    text = text_of(response.content)
    assert done["result"]["certificateNumber"] in text and "Holder Family 0" in text
    assert hashlib.sha256(response.content).hexdigest() == done["result"]["documentSha256"]


NODE = "query N($id: ID!) { node(id: $id) { ... on Document { kind sha256 } } }"


async def test_node_answers_null_for_a_document_out_of_reach(
    acme_hr: GraphQLClient, globex_hr: GraphQLClient, acme_policies: list[Policy]
) -> None:
    made = ok(await acme_hr.mutate(ISSUE, {"policyId": _policy(acme_policies[0])}))["document"]
    mine = await acme_hr.query(NODE, {"id": made["id"]})
    theirs = await globex_hr.query(NODE, {"id": made["id"]})
    assert mine["node"] == {"kind": "ID_CARD", "sha256": made["sha256"]}
    assert theirs["node"] is None
