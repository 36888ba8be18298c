"""letterTemplateCreate, letterTemplateApprove and letterTemplates, over GraphQL."""

from __future__ import annotations

from httpx import AsyncClient

from tests.graphql import GraphQLClient, ok, refused
from tests.schema.documents.conftest import ADMIN_2, BACK_OFFICE

CREATE = """
mutation Create($input: LetterTemplateCreateInput!) {
  letterTemplateCreate(input: $input) {
    letterTemplate { id code version kind state fields }
    errors { field code message }
  }
}
"""
APPROVE = """
mutation Approve($id: ID!) {
  letterTemplateApprove(input: {id: $id}) {
    letterTemplate { version state approvedBy }
    errors { field code message }
  }
}
"""
TEMPLATES = """
query Templates($code: String) {
  letterTemplates(first: 10, filter: {code: $code}) {
    totalCount edges { node { code version state } }
  }
}
"""
LETTER = {
    "code": "otc-letter",
    "kind": "LETTER",
    "body": "Dear #data.memberName,\n\n#data.drugName is now over the counter.\n",
    "fields": ["memberName", "drugName"],
}


async def test_the_back_office_writes_a_version_and_an_admin_approves_it(
    http: AsyncClient, admin: GraphQLClient
) -> None:
    # given
    back_office = GraphQLClient(http, BACK_OFFICE)
    first = ok(await back_office.mutate(CREATE, {"input": LETTER}))["letterTemplate"]
    second = ok(await back_office.mutate(CREATE, {"input": LETTER}))["letterTemplate"]
    # when
    approved = ok(await admin.mutate(APPROVE, {"id": second["id"]}))["letterTemplate"]
    # then
    assert (first["version"], first["state"], second["version"]) == (1, "DRAFT", 2)
    assert approved == {"version": 2, "state": "APPROVED", "approvedBy": "admin-1"}
    listed = await back_office.query(TEMPLATES, {"code": "otc-letter"})
    assert listed["letterTemplates"]["totalCount"] == 2


async def test_an_author_does_not_approve_their_own_and_the_back_office_does_not_approve(
    http: AsyncClient, admin: GraphQLClient
) -> None:
    made = ok(await admin.mutate(CREATE, {"input": LETTER}))["letterTemplate"]
    refused(await admin.mutate(APPROVE, {"id": made["id"]}), "NOT_ALLOWED", ["input", "id"])
    body = await GraphQLClient(http, BACK_OFFICE).raw(APPROVE, {"id": made["id"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ok(await GraphQLClient(http, ADMIN_2).mutate(APPROVE, {"id": made["id"]}))


async def test_a_template_that_does_not_compile_is_refused_with_its_line(
    admin: GraphQLClient,
) -> None:
    broken = {**LETTER, "body": "Dear #data.memberName,\n#strong[unclosed\n"}
    payload = refused(
        await admin.mutate(CREATE, {"input": broken}), "DOES_NOT_COMPILE", ["input", "body"]
    )
    assert "line 2" in payload["errors"][0]["message"]
    assert payload["letterTemplate"] is None


async def test_a_template_reading_a_field_it_was_not_given_is_refused(
    admin: GraphQLClient,
) -> None:
    nosy = {**LETTER, "body": LETTER["body"] + "#data.nationalId"}
    payload = refused(
        await admin.mutate(CREATE, {"input": nosy}), "FIELD_NOT_GIVEN", ["input", "body"]
    )
    assert "data.nationalId" in payload["errors"][0]["message"]


async def test_odd_input_is_refused_naming_the_field(admin: GraphQLClient) -> None:
    odd = {**LETTER, "code": "../../etc", "fields": ["ok", "bad field\u202e"]}
    payload = await admin.mutate(CREATE, {"input": odd})
    assert {tuple(e["field"]) for e in payload["errors"]} == {
        ("input", "code"),
        ("input", "fields"),
    }
    unknown = await admin.mutate(APPROVE, {"id": "TGV0dGVyVGVtcGxhdGU6OTk5OQ=="})
    refused(unknown, "NOT_FOUND", ["input", "id"])


async def test_the_list_takes_the_same_statements_for_one_version_or_many(
    admin: GraphQLClient, statements: object
) -> None:
    ok(await admin.mutate(CREATE, {"input": LETTER}))
    statements.reset()  # type: ignore[attr-defined]
    await admin.query(TEMPLATES)
    for_one = statements.count  # type: ignore[attr-defined]
    for _ in range(3):
        ok(await admin.mutate(CREATE, {"input": LETTER}))
    statements.reset()  # type: ignore[attr-defined]
    many = await admin.query(TEMPLATES)
    assert many["letterTemplates"]["totalCount"] == 4
    assert statements.count == for_one  # type: ignore[attr-defined]
