"""Partners' API keys over HTTP: made by an admin, used as a bearer credential, revoked, expired."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from authz.principal import Principal, Role
from domain.access.models import AccessGrant, ApiKey
from domain.audit.models import AuditEvent
from domain.groups.models import GroupClient
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused

KEY_CREATE = """
mutation Create($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) {
    key
    apiKey { id name subject prefix createdBy createdAt expiresAt revokedAt }
    errors { field code message }
  }
}
"""

KEY_REVOKE = """
mutation Revoke($input: ApiKeyRevokeInput!) {
  apiKeyRevoke(input: $input) {
    apiKey { id name revokedAt }
    errors { field code message }
  }
}
"""

KEYS = """
query Keys($first: Int, $after: String) {
  apiKeys(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name subject prefix createdBy createdAt expiresAt revokedAt } }
  }
}
"""

API_KEY_FIELDS = """
query { __type(name: "ApiKey") { fields { name } } }
"""

CLIENTS = """
query Clients { groupClients { totalCount edges { node { code } } } }
"""

CLIENT = """
query Client($code: String!) { groupClient(code: $code) { code } }
"""

CLIENT_CREATE = """
mutation Make($input: GroupClientCreateInput!) {
  groupClientCreate(input: $input) { groupClient { code } errors { field code } }
}
"""

GRANTS = """
query Grants($subject: String) {
  accessGrants(subject: $subject) { totalCount edges { node { subject role kind code } } }
}
"""

GRANT_ADD = """
mutation Add($input: AccessGrantAddInput!) {
  accessGrantAdd(input: $input) { accessGrant { id } errors { field code } }
}
"""

EVENTS = """
query Events($filter: AuditEventFilter) {
  auditEvents(filter: $filter) {
    edges { node { actor action entityType entityId before after } }
  }
}
"""

TYPENAME = "{ __typename }"


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def forest(book: Book) -> None:
    """ACME > ACME-EU > ACME-EU-FR and ACME > ACME-US; GLOBEX > GLOBEX-UK; INITECH (US)."""
    acme = await book.client(code="ACME")
    acme_eu = await book.client(acme, code="ACME-EU")
    await book.client(acme_eu, code="ACME-EU-FR")
    await book.client(acme, code="ACME-US", dag=book.dag_us)
    globex = await book.client(code="GLOBEX")
    await book.client(globex, code="GLOBEX-UK")
    await book.client(code="INITECH", dag=book.dag_us)
    await book.session.commit()


def _in(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _input(**overrides: Any) -> dict[str, Any]:
    fields = {"name": "acme-portal", "groupClientCodes": ["ACME-EU"], "expiresAt": _in(30)}
    return {"input": {**fields, **overrides}}


async def _create(admin: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    """Make a key that must be accepted; return the payload with the key."""
    return ok(await admin.mutate(KEY_CREATE, _input(**overrides)))


async def _seen(partner: GraphQLClient) -> list[str]:
    page = (await partner.query(CLIENTS))["groupClients"]
    codes = [edge["node"]["code"] for edge in page["edges"]]
    assert page["totalCount"] == len(codes)
    return codes


async def _post(http: AsyncClient, credential: str | bytes) -> Response:
    header = b"Bearer " + credential if isinstance(credential, bytes) else f"Bearer {credential}"
    return await http.post("/graphql", json={"query": TYPENAME}, headers={"Authorization": header})


def _assert_unauthorized(response: Response, says: str) -> None:
    """A 401 with a JSON GraphQL error saying why, and no data."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert says in error["message"]
    assert "data" not in body


def _forbidden(body: dict[str, Any]) -> None:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert list(body["data"].values()) == [None]


async def _rows(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def _events(admin: GraphQLClient, **criteria: Any) -> list[dict[str, Any]]:
    page = (await admin.query(EVENTS, {"filter": criteria}))["auditEvents"]
    return [edge["node"] for edge in page["edges"]]


# A key signs a partner in


async def test_a_new_key_is_shown_once_with_its_record(admin: GraphQLClient, forest: None) -> None:
    # given a time of expiry written in another zone
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=90)
    written = expires.astimezone(timezone(timedelta(hours=2))).isoformat()
    # when
    payload = await _create(admin, expiresAt=written)
    # then
    record = payload["apiKey"]
    assert payload["key"].startswith(f"gck_{record['prefix']}_")
    assert len(payload["key"]) > len(f"gck_{record['prefix']}_") + 40  # 256 random bits
    assert (record["name"], record["subject"], record["createdBy"], record["revokedAt"]) == (
        "acme-portal",
        "apikey:acme-portal",
        "admin-1",
        None,
    )
    # the same instant
    assert datetime.fromisoformat(record["expiresAt"]) == expires


async def test_a_key_reaches_the_subtrees_of_its_clients_and_nothing_else(
    admin: GraphQLClient, http: AsyncClient, forest: None
) -> None:
    # given
    key = (await _create(admin, groupClientCodes=["ACME-EU", "INITECH"]))["key"]
    partner = GraphQLClient(http, key)
    # when
    seen = await _seen(partner)
    parent = (await partner.query(CLIENT, {"code": "ACME"}))["groupClient"]
    sibling = (await partner.query(CLIENT, {"code": "ACME-US"}))["groupClient"]
    # then whatever their data access group; not the parent, the sibling or the other trees
    assert seen == ["ACME-EU", "ACME-EU-FR", "INITECH"]
    assert (parent, sibling) == (None, None)


async def test_a_key_stores_its_scope_as_partner_grants(admin: GraphQLClient, forest: None) -> None:
    # when the same client is named twice, and spelled with spaces
    await _create(admin, groupClientCodes=["GLOBEX", " ACME-EU ", "GLOBEX"])
    # then
    grants = (await admin.query(GRANTS, {"subject": "apikey:acme-portal"}))["accessGrants"]
    assert [edge["node"] for edge in grants["edges"]] == [
        {"subject": "apikey:acme-portal", "role": "PARTNER", "kind": "GROUP_CLIENT", "code": code}
        for code in ("GLOBEX", "ACME-EU")
    ]


async def test_the_audit_trail_says_which_clients_a_key_was_given(
    admin: GraphQLClient, forest: None
) -> None:
    # given a subject already granted GLOBEX
    grant = {"subject": "apikey:acme-portal", "role": "PARTNER", "kind": "GROUP_CLIENT"}
    ok(await admin.mutate(GRANT_ADD, {"input": {**grant, "code": "GLOBEX"}}))
    # when
    made = await _create(admin, groupClientCodes=["ACME-EU", "GLOBEX"])
    ok(await admin.mutate(KEY_REVOKE, {"input": {"id": made["apiKey"]["id"]}}))
    # then the key's own events name every client its subject reaches, once
    events = await _events(admin, entityId=made["apiKey"]["id"])
    assert [(e["action"], e["after"]["group_client_codes"]) for e in events] == [
        ("apiKeyCreate", ["GLOBEX", "ACME-EU"]),
        ("apiKeyRevoke", ["GLOBEX", "ACME-EU"]),
    ]


async def test_a_grant_added_to_a_key_counts_from_its_next_request(
    admin: GraphQLClient, http: AsyncClient, forest: None
) -> None:
    # given
    partner = GraphQLClient(http, (await _create(admin))["key"])
    assert await _seen(partner) == ["ACME-EU", "ACME-EU-FR"]
    grant = {"subject": "apikey:acme-portal", "role": "PARTNER", "kind": "GROUP_CLIENT"}
    # when
    ok(await admin.mutate(GRANT_ADD, {"input": {**grant, "code": "GLOBEX"}}))
    # then
    assert await _seen(partner) == ["ACME-EU", "ACME-EU-FR", "GLOBEX", "GLOBEX-UK"]


async def test_a_key_may_not_change_groups(
    admin: GraphQLClient, http: AsyncClient, forest: None, session: AsyncSession
) -> None:
    # given
    partner = GraphQLClient(http, (await _create(admin))["key"])
    made = {"code": "NEW", "name": "New", "lineOfBusiness": "HEALTH", "dataAccessGroup": "EU"}
    # when
    body = await partner.raw(CLIENT_CREATE, {"input": made})
    # then
    _forbidden(body)
    assert body["errors"][0]["path"] == ["groupClientCreate"]
    assert await _rows(session, GroupClient) == 7


async def test_a_key_may_not_manage_keys_or_grants(
    admin: GraphQLClient, http: AsyncClient, forest: None, session: AsyncSession
) -> None:
    # given
    partner = GraphQLClient(http, (await _create(admin))["key"])
    # when
    another = await partner.raw(KEY_CREATE, _input(name="mine", groupClientCodes=["ACME"]))
    listed = await partner.raw(KEYS)
    # then
    _forbidden(another)
    _forbidden(listed)
    assert await _rows(session, ApiKey) == 1


# Nothing secret is ever shown again


async def test_api_keys_lists_keys_without_any_secret(admin: GraphQLClient, forest: None) -> None:
    # given
    made = [await _create(admin, name=name) for name in ("acme-portal", "benefits-hub")]
    # when
    page = (await admin.query(KEYS))["apiKeys"]
    fields = (await admin.query(API_KEY_FIELDS))["__type"]["fields"]
    # then
    assert [edge["node"] for edge in page["edges"]] == [m["apiKey"] for m in made]
    assert page["totalCount"] == 2
    assert {f["name"] for f in fields} == {
        "id",
        "name",
        "subject",
        "prefix",
        "role",
        "createdBy",
        "createdAt",
        "expiresAt",
        "revokedAt",
    }
    shown = str(page)
    for m in made:
        secret = m["key"].split("_", 2)[2]
        assert secret not in shown
        assert hashlib.sha256(secret.encode()).hexdigest() not in shown


async def test_pages_through_the_keys(admin: GraphQLClient, forest: None) -> None:
    # given
    for name in ("k1", "k2", "k3"):
        await _create(admin, name=name)
    # when
    first = (await admin.query(KEYS, {"first": 2}))["apiKeys"]
    after = first["pageInfo"]["endCursor"]
    second = (await admin.query(KEYS, {"first": 2, "after": after}))["apiKeys"]
    # then
    assert [e["node"]["name"] for e in first["edges"]] == ["k1", "k2"]
    assert [e["node"]["name"] for e in second["edges"]] == ["k3"]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)
    assert (first["totalCount"], second["totalCount"]) == (3, 3)


async def test_the_audit_trail_holds_no_secret(
    admin: GraphQLClient, forest: None, session: AsyncSession
) -> None:
    # given
    made = await _create(admin)
    ok(await admin.mutate(KEY_REVOKE, {"input": {"id": made["apiKey"]["id"]}}))
    secret = made["key"].split("_", 2)[2]
    # when
    (created,) = await _events(admin, action="apiKeyCreate")
    (revoked,) = await _events(admin, action="apiKeyRevoke")
    # then
    assert (created["actor"], created["entityType"], created["entityId"]) == (
        "admin-1",
        "ApiKey",
        made["apiKey"]["id"],
    )
    assert created["before"] is None
    assert created["after"]["name"] == "acme-portal"
    assert created["after"]["prefix"] == made["apiKey"]["prefix"]
    assert "secret_hash" not in created["after"]
    assert "secret_hash" not in revoked["before"]
    assert "secret_hash" not in revoked["after"]
    assert revoked["before"]["revoked_at"] is None
    assert revoked["after"]["revoked_at"] is not None
    stored = str([(e.before, e.after) for e in (await session.scalars(sa.select(AuditEvent)))])
    assert secret not in stored
    assert hashlib.sha256(secret.encode()).hexdigest() not in stored


# Revoked, expired and forged keys


async def test_a_revoked_key_is_refused_on_its_very_next_request(
    admin: GraphQLClient, http: AsyncClient, forest: None
) -> None:
    # given a key in use
    made = await _create(admin)
    assert (await _post(http, made["key"])).status_code == 200
    # when
    payload = ok(await admin.mutate(KEY_REVOKE, {"input": {"id": made["apiKey"]["id"]}}))
    # then
    assert payload["apiKey"]["id"] == made["apiKey"]["id"]
    assert payload["apiKey"]["revokedAt"] is not None
    _assert_unauthorized(await _post(http, made["key"]), "revoked")
    (listed,) = [e["node"] for e in (await admin.query(KEYS))["apiKeys"]["edges"]]
    assert listed["revokedAt"] == payload["apiKey"]["revokedAt"]


async def test_revoking_one_key_leaves_the_others_working(
    admin: GraphQLClient, http: AsyncClient, forest: None
) -> None:
    # given
    gone = await _create(admin, name="gone")
    kept = await _create(admin, name="kept")
    # when
    ok(await admin.mutate(KEY_REVOKE, {"input": {"id": gone["apiKey"]["id"]}}))
    # then
    assert (await _post(http, kept["key"])).status_code == 200


async def test_an_expired_key_is_refused_saying_it_expired(
    admin: GraphQLClient, http: AsyncClient, forest: None, session: AsyncSession
) -> None:
    # given a key whose time ran out a second ago
    made = await _create(admin)
    assert (await _post(http, made["key"])).status_code == 200
    await session.execute(
        sa.update(ApiKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()
    # when
    response = await _post(http, made["key"])
    # then
    _assert_unauthorized(response, "expired")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda key: key[:-4] + "AAAA", id="wrong-secret"),
        pytest.param(lambda key: key.rsplit("_", 1)[0] + "_", id="no-secret"),
        pytest.param(lambda key: "gck_" + key.split("_", 2)[2], id="no-prefix"),
        pytest.param(lambda key: key.replace("gck_", "gck_0", 1), id="unknown-prefix"),
        pytest.param(lambda key: "gck_x", id="garbage"),
        pytest.param(lambda key: "gck_", id="mark-only"),
        pytest.param(lambda key: "gck__", id="underscores"),
        pytest.param(lambda key: "gck_" + "a" * 17 + "_secret", id="prefix-too-long"),
        pytest.param(lambda key: "gck_" + "a" * 5000 + "_" + "b" * 5000, id="huge"),
        pytest.param(lambda key: "gck_' OR '1'='1_x", id="quote"),
        pytest.param(lambda key: key.encode() + b"\xe9", id="latin-1"),
    ],
)
async def test_a_forged_key_is_refused_without_a_server_error(
    admin: GraphQLClient, http: AsyncClient, forest: None, forge: Any
) -> None:
    # given
    made = await _create(admin)
    # when
    response = await _post(http, forge(made["key"]))
    # then
    _assert_unauthorized(response, "not valid")


async def test_the_secret_of_one_key_does_not_open_another(
    admin: GraphQLClient, http: AsyncClient, forest: None
) -> None:
    # given
    first = (await _create(admin, name="first"))["key"]
    second = (await _create(admin, name="second"))["key"]
    swapped = "_".join(first.split("_", 2)[:2]) + "_" + second.split("_", 2)[2]
    # when
    response = await _post(http, swapped)
    # then
    _assert_unauthorized(response, "not valid")


# Refused inputs


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        pytest.param({"name": ""}, "REQUIRED", ["input", "name"], id="name-empty"),
        pytest.param({"name": "   "}, "REQUIRED", ["input", "name"], id="name-blank"),
        pytest.param({"name": "acme portal"}, "INVALID_FORMAT", ["input", "name"], id="name-space"),
        pytest.param({"name": "-acme"}, "INVALID_FORMAT", ["input", "name"], id="name-dash-first"),
        pytest.param({"name": "a" * 31}, "TOO_LONG", ["input", "name"], id="name-long"),
        pytest.param(
            {"expiresAt": _in(-1)}, "EXPIRED", ["input", "expiresAt"], id="expires-in-the-past"
        ),
        pytest.param(
            {"expiresAt": _in(367)}, "NOT_ALLOWED", ["input", "expiresAt"], id="expires-too-late"
        ),
        pytest.param(
            {"expiresAt": "2030-01-01T00:00:00"}, "INVALID_FORMAT", ["input", "expiresAt"],
            id="expires-without-zone",
        ),
        pytest.param(
            {"groupClientCodes": []}, "REQUIRED", ["input", "groupClientCodes"], id="no-clients"
        ),
        pytest.param(
            {"groupClientCodes": ["ACME", "NOPE"]}, "NOT_FOUND",
            ["input", "groupClientCodes", "1"], id="unknown-client",
        ),
        pytest.param(
            {"groupClientCodes": ["ACME", "GLOBEX", "not a code!"]}, "NOT_FOUND",
            ["input", "groupClientCodes", "2"], id="malformed-client",
        ),
    ],
)  # fmt: skip
async def test_a_refused_key_saves_nothing(
    admin: GraphQLClient,
    forest: None,
    session: AsyncSession,
    overrides: dict[str, Any],
    error: str,
    field: list[str],
) -> None:
    # when
    payload = await admin.mutate(KEY_CREATE, _input(**overrides))
    # then
    refused(payload, error, field)
    assert (payload["key"], payload["apiKey"]) == (None, None)
    assert await _rows(session, ApiKey) == 0
    assert await _rows(session, AccessGrant) == 0
    assert await _rows(session, AuditEvent) == 0


async def test_every_fault_of_a_key_is_reported_at_once(admin: GraphQLClient, forest: None) -> None:
    # when
    payload = await admin.mutate(
        KEY_CREATE, _input(name="", expiresAt=_in(-1), groupClientCodes=["NOPE", "ACME", "NADA"])
    )
    # then
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("REQUIRED", ["input", "name"]),
        ("EXPIRED", ["input", "expiresAt"]),
        ("NOT_FOUND", ["input", "groupClientCodes", "0"]),
        ("NOT_FOUND", ["input", "groupClientCodes", "2"]),
    ]


async def test_a_name_already_taken_is_a_duplicate(
    admin: GraphQLClient, forest: None, session: AsyncSession
) -> None:
    # given
    await _create(admin, name="acme-portal")
    # when
    payload = await admin.mutate(
        KEY_CREATE, _input(name=" acme-portal ", groupClientCodes=["GLOBEX"])
    )
    # then
    refused(payload, "DUPLICATE", ["input", "name"])
    assert await _rows(session, ApiKey) == 1
    assert await _rows(session, AccessGrant) == 1


async def test_a_revoked_keys_name_stays_taken(
    admin: GraphQLClient, forest: None, session: AsyncSession
) -> None:
    # given
    made = await _create(admin)
    ok(await admin.mutate(KEY_REVOKE, {"input": {"id": made["apiKey"]["id"]}}))
    # when
    payload = await admin.mutate(KEY_CREATE, _input())
    # then
    refused(payload, "DUPLICATE", ["input", "name"])
    assert await _rows(session, ApiKey) == 1


async def test_revoking_a_key_twice_is_not_allowed(
    admin: GraphQLClient, forest: None, session: AsyncSession
) -> None:
    # given
    made = await _create(admin)
    first = ok(await admin.mutate(KEY_REVOKE, {"input": {"id": made["apiKey"]["id"]}}))
    # when
    payload = await admin.mutate(KEY_REVOKE, {"input": {"id": made["apiKey"]["id"]}})
    # then
    refused(payload, "NOT_ALLOWED", ["input", "id"])
    assert payload["apiKey"] is None
    (listed,) = [e["node"] for e in (await admin.query(KEYS))["apiKeys"]["edges"]]
    assert listed["revokedAt"] == first["apiKey"]["revokedAt"]
    assert [e["action"] for e in await _events(admin)] == ["apiKeyCreate", "apiKeyRevoke"]


@pytest.mark.parametrize(
    "key_id",
    [
        pytest.param("garbage", id="malformed"),
        pytest.param(global_id("ApiKey", 999999), id="unknown"),
        pytest.param(relay.to_base64("ApiKey", "-1"), id="negative"),
        pytest.param("grant-id", id="another-type"),
    ],
)
async def test_revoking_a_key_that_is_not_there_is_not_found(
    admin: GraphQLClient, http: AsyncClient, forest: None, key_id: str
) -> None:
    # given
    made = await _create(admin)
    if key_id == "grant-id":  # the right row number under another type's name
        key_id = relay.to_base64("AccessGrant", relay.from_base64(made["apiKey"]["id"])[1])
    # when
    payload = await admin.mutate(KEY_REVOKE, {"input": {"id": key_id}})
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])
    assert (await _post(http, made["key"])).status_code == 200


# Who may manage keys


@pytest.mark.parametrize(
    ("operation", "variables"),
    [
        pytest.param(KEY_CREATE, _input(name="sneaky"), id="create"),
        pytest.param(KEY_REVOKE, {"input": {"id": "to-revoke"}}, id="revoke"),
        pytest.param(KEYS, {}, id="list"),
    ],
)
async def test_a_backoffice_user_may_not_manage_keys(
    admin: GraphQLClient,
    http: AsyncClient,
    forest: None,
    session: AsyncSession,
    operation: str,
    variables: dict[str, Any],
) -> None:
    # given an all-seeing backoffice user, and a key in use
    made = await _create(admin)
    backoffice = Principal(
        "bo-1",
        frozenset({Role.BACKOFFICE}),
        data_access_groups=frozenset({"EU", "US"}),
        lines_of_business=frozenset({"HEALTH", "LIFE"}),
    )
    if variables.get("input", {}).get("id") == "to-revoke":
        variables = {"input": {"id": made["apiKey"]["id"]}}
    # when
    body = await GraphQLClient(http, token_for(backoffice)).raw(operation, variables)
    # then
    _forbidden(body)
    assert await _rows(session, ApiKey) == 1
    assert (await _post(http, made["key"])).status_code == 200


async def test_a_key_can_be_made_for_a_subject_already_granted(
    admin: GraphQLClient, http: AsyncClient, forest: None
) -> None:
    # given an admin granted the key's subject before making the key
    grant = {"subject": "apikey:acme-portal", "role": "PARTNER", "kind": "GROUP_CLIENT"}
    ok(await admin.mutate(GRANT_ADD, {"input": {**grant, "code": "ACME-EU"}}))
    # when
    payload = await admin.mutate(KEY_CREATE, _input())
    # then
    ok(payload)
    assert await _seen(GraphQLClient(http, payload["key"])) == ["ACME-EU", "ACME-EU-FR"]


async def test_a_key_made_in_another_zone_is_answered_in_utc(
    admin: GraphQLClient, forest: None
) -> None:
    # given
    written = datetime.now(UTC).astimezone(timezone(timedelta(hours=2))) + timedelta(days=9)
    # when
    payload = await _create(admin, expiresAt=written.isoformat())
    # then, as the field's description says
    (created,) = await _events(admin, action="apiKeyCreate")
    assert payload["apiKey"]["expiresAt"].endswith("+00:00")
    assert created["after"]["expires_at"].endswith("+00:00")
