"""Odd input never reaches the internals: deep JSON, NUL characters, ids of the wrong type."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import AsyncClient
from strawberry import relay
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.api.test_websocket_auth import PROTOCOL, server  # noqa: F401 (a fixture)
from tests.factories import Book
from tests.graphql import GraphQLClient, refused

QUERY = "{ linesOfBusiness { code } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
CREATE = """
mutation($input: GroupClientCreateInput!) {
  groupClientCreate(input: $input) { groupClient { code } errors { field code } }
}
"""
UPDATE = """
mutation($id: ID!) {
  groupClientUpdate(input: {id: $id, version: 1, name: "New"}) {
    groupClient { code } errors { field code }
  }
}
"""
ENROL = """
mutation($input: PolicyEnrollInput!) { policyEnroll(input: $input) { errors { field code } } }
"""
SUBMIT = """
mutation { workflowRequestSubmit(input: {type: CERTIFICATE, channel: BACK_OFFICE,
  policyId: "x", idempotencyKey: "a\\u0000"}) { errors { code } } }
"""


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def _post(http: AsyncClient, admin: GraphQLClient, body: str) -> Any:
    headers = {**admin.headers, "content-type": "application/json"}
    return await http.post("/graphql", content=body, headers=headers)


@pytest.mark.parametrize(
    "body",
    [
        _nested(1000),
        '{"query": "' + QUERY + '", "variables": {"x": ' + _nested(1000) + "}}",
        '{"query": "' + QUERY + '", "variables": {"x": ' + '{"a": ' * 65 + "1" + "}" * 65 + "}}",
    ],
    ids=["whole body", "in variables", "objects in variables"],
)
async def test_json_nested_too_deep_is_a_400_before_it_is_parsed(
    http: AsyncClient, admin: GraphQLClient, body: str
) -> None:
    response = await _post(http, admin, body)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error == {
        "message": "The JSON nests deeper than 64 levels.",
        "extensions": {"code": "BAD_REQUEST"},
    }


async def test_deep_json_in_a_get_requests_variables_is_a_400(
    http: AsyncClient, admin: GraphQLClient
) -> None:
    params = {"query": QUERY, "variables": json.dumps({"x": json.loads(_nested(200))})}
    response = await http.get("/graphql", params=params, headers=admin.headers)
    assert response.status_code == 400


async def test_json_at_the_depth_limit_and_brackets_in_strings_are_accepted(
    http: AsyncClient, admin: GraphQLClient
) -> None:
    # 64 levels in all: the body, its variables, and 62 nested lists; brackets in a string
    variables = {"x": json.loads(_nested(62)), "s": "[" * 500}
    body = json.dumps({"query": QUERY, "variables": variables})
    response = await _post(http, admin, body)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"linesOfBusiness": []}


async def test_a_nul_in_a_literal_argument_names_the_argument(admin: GraphQLClient) -> None:
    body = await admin.raw('{ groupClient(code: "A\\u0000") { code } }')
    (error,) = body["errors"]
    assert error["message"] == (
        "The argument 'code' of 'groupClient' holds a NUL character (\\u0000), "
        "which no text may contain."
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert body.get("data") is None


async def test_a_nul_deep_in_a_literal_input_names_its_path(admin: GraphQLClient) -> None:
    body = await admin.raw(SUBMIT)
    (error,) = body["errors"]
    assert "'input.idempotencyKey' of 'workflowRequestSubmit'" in error["message"]


@pytest.mark.parametrize(
    ("query", "variables", "where"),
    [
        (
            CREATE,
            {
                "input": {
                    "code": "X",
                    "name": "a\x00",
                    "lineOfBusiness": "H",
                    "dataAccessGroup": "E",
                }
            },
            "$input.name",
        ),
        (UPDATE, {"id": relay.to_base64("GroupClient", "1") + "\x00"}, "$id"),
        (
            ENROL,
            {
                "input": {
                    "groupAccountId": "x",
                    "startDate": "2026-01-01",
                    "subscriber": {"givenName": "A"},
                    "dependants": [{"relationship": "CHILD", "person": {"givenName": "\x00B"}}],
                    "products": [],
                }
            },
            "$input.dependants[0].person.givenName",
        ),
    ],
    ids=["input field", "id", "nested input in a list"],
)
async def test_a_nul_in_a_variable_names_its_path_and_nothing_runs(
    admin: GraphQLClient, query: str, variables: dict[str, Any], where: str
) -> None:
    body = await admin.raw(query, variables)
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"] == (
        f"Variable '{where}' holds a NUL character (\\u0000), which no text may contain."
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def _mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ errors {{ code }} }} }}"


# The NULs the areas' own tests once sent, each refused before anything runs (nothing saved).
AREAS = [
    ("groupClientCreate", "GroupClientCreateInput", {"code": "A\x00B"}, "code"),
    ("groupClientCreate", "GroupClientCreateInput", {"name": "Acme\x00Corp"}, "name"),
    ("groupClientCreate", "GroupClientCreateInput", {"lineOfBusiness": "H\x00"}, "lineOfBusiness"),
    (
        "groupClientCreate",
        "GroupClientCreateInput",
        {"dataAccessGroup": "EU\x00"},
        "dataAccessGroup",
    ),
    ("groupClientUpdate", "GroupClientUpdateInput", {"name": "Acme\x00"}, "name"),
    ("insurableClassCreate", "InsurableClassCreateInput", {"code": "EX\x00EC"}, "code"),
    (
        "groupAccountProductAdd",
        "GroupAccountProductAddInput",
        {"insurableClassCodes": ["C0", "C\x001"]},
        "insurableClassCodes[1]",
    ),
    ("accessGrantAdd", "AccessGrantAddInput", {"subject": "bo\x007"}, "subject"),
    ("personUpdate", "PersonUpdateInput", {"email": "a\x00@b.c"}, "email"),
]
FILTERS = [
    ("query($s: String) { accessGrants(subject: $s) { totalCount } }", "s"),
    ("query($s: String) { policies(filter: {search: $s}) { totalCount } }", "s"),
    ("query($s: String) { auditEvents(filter: {actor: $s}) { totalCount } }", "s"),
    ("query($s: String) { auditEvents(filter: {action: $s}) { totalCount } }", "s"),
]


@pytest.mark.parametrize(
    ("query", "variables", "where"),
    [(_mutation(n, t), {"input": given}, f"input.{path}") for n, t, given, path in AREAS]
    + [(query, {name: "a\x00"}, name) for query, name in FILTERS],
    ids=[f"{n}-{path}" for n, _t, _g, path in AREAS] + ["grants", "search", "actor", "action"],
)
async def test_a_nul_anywhere_is_refused_before_anything_runs(
    admin: GraphQLClient, query: str, variables: dict[str, Any], where: str
) -> None:
    body = await admin.raw(query, variables)
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"].startswith(f"Variable '${where}' holds a NUL character")


WRONG_IDS = [
    relay.to_base64("Node", "1"),
    relay.to_base64("Query", "1"),
    relay.to_base64("PolicyConnection", "1"),
    relay.to_base64("GroupClientCreateInput", "1"),
    relay.to_base64("UserError", "1"),
    relay.to_base64("GroupClient", "abc"),
    relay.to_base64("GroupClient", "\u0661"),  # an Arabic-Indic one: a digit to int()
    "not base64 at all",
]


@pytest.mark.parametrize("node_id", WRONG_IDS)
async def test_node_answers_null_for_an_id_of_no_node_type(
    admin: GraphQLClient, node_id: str
) -> None:
    body = await admin.raw(NODE, {"id": node_id})
    assert "errors" not in body, body
    assert body["data"] == {"node": None}


@pytest.mark.parametrize("node_id", [*WRONG_IDS, relay.to_base64("GroupAccount", "1")])
async def test_a_mutation_answers_not_found_for_an_id_of_the_wrong_type(
    admin: GraphQLClient, session: Any, node_id: str
) -> None:
    # given a group client with row id 1 may exist: the id's type alone must decide
    await Book(session).setup()
    payload = await admin.mutate(UPDATE, {"id": node_id})
    refused(payload, "NOT_FOUND", ["input", "id"])


async def test_a_websocket_message_nested_too_deep_closes_the_socket_as_not_json(
    server: str,  # noqa: F811 (the fixture imported above)
) -> None:
    # given a socket, and a message whose JSON nests 1,000 levels (a RecursionError, unchecked)
    async with connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as websocket:
        await websocket.send('{"type": "connection_init", "payload": ' + _nested(1000) + "}")
        # then the server closes it as for any message that is not JSON
        with pytest.raises(ConnectionClosed) as closed:
            await websocket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
