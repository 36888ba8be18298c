"""groupClientFhirBundle: a group's cover on a day as a FHIR R4B Bundle that fhir.resources
accepts, with what the caller may see and no more, in statements that do not grow with it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.principal import Principal, Role
from domain.policies.limits import utc_today
from domain.policies.models import PolicyMember, Relationship
from schema.core.relay import global_id
from tests.conftest import StatementCounter, token_for
from tests.factories import Book, families, place, viewers
from tests.graphql import GraphQLClient

FIXTURES = Path("/work/shared/fixtures/fhir")
TODAY = utc_today()
BUNDLE = "query($code: String, $id: ID, $asOf: Date!) { groupClientFhirBundle(code: $code, id: $id, asOf: $asOf) }"


async def _bundle(client: GraphQLClient, day: Any = TODAY, **key: str) -> Any:
    data = await client.query(BUNDLE, {"asOf": day.isoformat(), **key})
    return data["groupClientFhirBundle"]


def _by_type(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def _client(http: AsyncClient, principal: Principal) -> GraphQLClient:
    return GraphQLClient(http, token_for(principal))


@pytest.fixture
async def acme(session: AsyncSession) -> Any:
    """ACME with three families of three since ten days; one child left yesterday, and a
    fourth family starts tomorrow."""
    book = await Book(session).setup()
    where = await place(book)
    policies = await families(book, where, 3, since=TODAY - timedelta(days=10))
    await families(book, where, 1, since=TODAY + timedelta(days=1))
    await session.execute(
        sa.update(PolicyMember)
        .where(
            col(PolicyMember.policy_id) == policies[0].id,
            col(PolicyMember.relationship) == Relationship.CHILD,
        )
        .values(end_date=TODAY - timedelta(days=1))
    )
    await session.commit()
    return where


async def test_the_bundle_holds_what_is_in_force_and_every_resource_validates(
    http: AsyncClient, acme: Any
) -> None:
    # given an admin
    admin = _client(http, viewers("ACME")["admin"])
    # when
    bundle = await _bundle(admin, code="ACME")
    # then the bundle and each resource parse back as FHIR R4B
    assert Bundle.model_validate(bundle).type == "collection"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    # and it holds the three families in force today: 8 members, the child who left absent
    kinds = _by_type(bundle)
    assert Counter({k: len(v) for k, v in kinds.items()}) == Counter(
        Organization=1, Group=3, Patient=8, RelatedPerson=5, Coverage=8
    )
    assert sorted(g["quantity"] for g in kinds["Group"]) == [2, 3, 3]
    relations = Counter(c["relationship"]["coding"][0]["code"] for c in kinds["Coverage"])
    assert relations == Counter(self=3, spouse=3, child=2)
    coverage = kinds["Coverage"][0]
    assert coverage["subscriberId"] == coverage["identifier"][0]["value"]
    assert [(c["type"]["coding"][0]["code"], c["value"]) for c in coverage["class"]] == [
        ("group", "ACME-GA"),
        ("class", "STAFF"),
        ("plan", "MED-PPO"),
    ]
    assert kinds["Patient"][0]["name"][0]["given"] == ["Holder"]


async def test_the_shapes_follow_the_openimis_examples(http: AsyncClient, acme: Any) -> None:
    # given openIMIS's Coverage, family Group and policy holder Organization
    example = {
        kind: json.loads((FIXTURES / name).read_text())
        for kind, name in (
            ("Coverage", "Coverage-JoeDoeCoverage.json"),
            ("Group", "Group-doe-family.json"),
            ("Organization", "Organization-MyTradePolicyHolder.json"),
        )
    }
    # when
    kinds = _by_type(await _bundle(_client(http, viewers("ACME")["admin"]), code="ACME"))
    # then ours carry the elements theirs do that R4B has, the same way
    shared = {
        "Coverage": {"status", "beneficiary", "period", "policyHolder", "class", "identifier"},
        "Group": {"type", "member", "quantity", "identifier", "name", "active"},
        "Organization": {"identifier", "name"},
    }
    for kind, keys in shared.items():
        assert keys <= set(example[kind]) & set(kinds[kind][0]), kind
    assert kinds["Group"][0]["type"] == example["Group"]["type"] == "person"
    theirs = example["Coverage"]["class"][0]["type"]["coding"][0]
    ours = [c["type"]["coding"][0] for c in kinds["Coverage"][0]["class"]]
    assert theirs["system"] in {c["system"] for c in ours}
    assert theirs["code"] in {c["code"] for c in ours}
    assert kinds["Coverage"][0]["policyHolder"]["reference"].startswith("Organization/")
    entity = example["Group"]["member"][0]["entity"]["reference"]
    assert entity.startswith("Patient/")
    assert kinds["Group"][0]["member"][0]["entity"]["reference"].startswith("Patient/")


async def test_a_past_day_has_only_what_was_in_force_then(http: AsyncClient, acme: Any) -> None:
    # when asked for a day before any policy started
    bundle = await _bundle(
        _client(http, viewers("ACME")["admin"]), TODAY - timedelta(days=30), code="ACME"
    )
    # then only the organization is there
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Organization"]


async def test_another_employer_s_manager_gets_null(http: AsyncClient, acme: Any) -> None:
    # given the manager of another employer
    other = _client(
        http, Principal("hr-2", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"GLOBEX"}))
    )
    # when they ask for ACME by code or by id
    by_code = await _bundle(other, code="ACME")
    by_id = await _bundle(other, id=global_id("GroupClient", acme.client.id))
    # then there is no such group for them
    assert by_code is None and by_id is None


async def test_a_reporting_user_gets_no_personal_fields(http: AsyncClient, acme: Any) -> None:
    # given a reporting user whose grants reach every policy
    reporting = _client(
        http,
        Principal(
            "rep-1",
            frozenset({Role.REPORTING}),
            data_access_groups=frozenset({"EU"}),
            lines_of_business=frozenset({"HEALTH"}),
        ),
    )
    # when
    kinds = _by_type(await _bundle(reporting, code="ACME"))
    # then every person is there, by number only, labelled redacted
    assert len(kinds["Patient"]) == 8 and len(kinds["Coverage"]) == 8
    for person in kinds["Patient"] + kinds["RelatedPerson"]:
        assert not {"name", "birthDate", "gender", "telecom", "address"} & set(person)
        assert [i["system"] for i in person["identifier"]] == ["urn:groupcover:person"]
        assert person["meta"]["security"][0]["code"] == "REDACTED"


async def test_a_bad_call_names_what_is_wrong(http: AsyncClient, acme: Any) -> None:
    # given
    admin = _client(http, viewers("ACME")["admin"])
    # when both keys are given, or the date is not one
    both = await admin.raw(BUNDLE, {"asOf": TODAY.isoformat(), "code": "ACME", "id": "x"})
    bad_day = await admin.raw(BUNDLE, {"asOf": "2026-02-30", "code": "ACME"})
    # then
    assert "Give exactly one of `id` and `code`." in both["errors"][0]["message"]
    assert "asOf" in bad_day["errors"][0]["message"]


@pytest.mark.parametrize("size", [1, 40])
async def test_the_statements_do_not_grow_with_the_policies(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession, size: int
) -> None:
    # given `size` families in force in ACME
    book = await Book(session).setup()
    where = await place(book)
    await families(book, where, size, since=TODAY - timedelta(days=10))
    manager = _client(http, viewers("ACME")["group_manager"])
    statements.reset()
    # when
    kinds = _by_type(await _bundle(manager, code="ACME"))
    # then: the grants, the client, the policies, members with persons, accounts, classes,
    # products
    assert len(kinds["Coverage"]) == 3 * size
    assert statements.count == 7, statements.statements
