"""productUpdate: a name at any time; kind and line of business until the product is used;
tiers, but never one a policy is enrolled in; always on the version read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from schema.core.relay import global_id
from tests.factories import Book, families, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.reference.conftest import assert_forbidden, audit

UPDATE = """
mutation Update($input: ProductUpdateInput!) {
  productUpdate(input: $input) {
    product { code name kind version coverageTiers lineOfBusiness { code } }
    errors { field message code }
  }
}
"""

PRODUCT = """
query($id: ID!) {
  node(id: $id) { ... on Product { name kind version coverageTiers lineOfBusiness { code } } }
}
"""


def _id(book: Book) -> str:
    return global_id("Product", book.dental.id)  # type: ignore[arg-type]


def _input(book: Book, version: int = 1, **changes: Any) -> dict[str, Any]:
    return {"input": {"id": _id(book), "version": version, **changes}}


async def _state(admin: GraphQLClient, book: Book) -> dict[str, Any]:
    return (await admin.query(PRODUCT, {"id": _id(book)}))["node"]


async def test_changes_an_unused_product_entirely(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(
        UPDATE,
        _input(
            book, name="Dental plus", kind="VISION", lineOfBusiness="LIFE",
            coverageTiers=["EMPLOYEE_ONLY", "FAMILY"],
        ),
    )  # fmt: skip
    # then
    assert ok(payload)["product"] == {
        "code": "DEN-BASIC",
        "name": "Dental plus",
        "kind": "VISION",
        "version": 2,
        "coverageTiers": ["EMPLOYEE_ONLY", "FAMILY"],
        "lineOfBusiness": {"code": "LIFE"},
    }
    (event,) = await audit(admin, "productUpdate")
    assert event["before"]["coverage_tiers"] == []
    assert event["after"]["coverage_tiers"] == ["EMPLOYEE_ONLY", "FAMILY"]


async def test_a_change_of_tiers_alone_moves_the_version_on(
    admin: GraphQLClient, book: Book
) -> None:
    # when
    ok(await admin.mutate(UPDATE, _input(book, coverageTiers=["FAMILY"])))
    # then
    state = await _state(admin, book)
    assert (state["version"], state["coverageTiers"], state["name"]) == (
        2,
        ["FAMILY"],
        "Dental basic",
    )


async def test_a_stale_version_is_refused_and_nothing_changes(
    admin: GraphQLClient, book: Book
) -> None:
    # given
    ok(await admin.mutate(UPDATE, _input(book, name="First")))
    # when
    payload = await admin.mutate(UPDATE, _input(book, name="Second", coverageTiers=["FAMILY"]))
    # then
    refused(payload, "STALE_VERSION", ["input", "version"])
    state = await _state(admin, book)
    assert (state["name"], state["coverageTiers"], state["version"]) == ("First", [], 2)


@pytest.fixture
async def enrolled(book: Book) -> Book:
    """ACME offers every product; a family is enrolled in medical, FAMILY tier."""
    acme = await place(book)
    await families(book, acme, 1, since=date(2024, 1, 1))
    await book.session.commit()
    return book


def _medical(book: Book, version: int = 1, **changes: Any) -> dict[str, Any]:
    return {"input": {"id": global_id("Product", book.medical.id), "version": version, **changes}}  # type: ignore[arg-type]


async def test_a_product_in_use_may_be_renamed_and_get_a_tier(
    admin: GraphQLClient, enrolled: Book
) -> None:
    # when
    payload = await admin.mutate(
        UPDATE,
        _medical(
            enrolled, name="Medical PPO 2027", kind="MEDICAL", lineOfBusiness="HEALTH",
            coverageTiers=["EMPLOYEE_ONLY", "EMPLOYEE_SPOUSE", "EMPLOYEE_CHILDREN", "FAMILY"],
        ),
    )  # fmt: skip
    # then
    assert ok(payload)["product"]["name"] == "Medical PPO 2027"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "DENTAL"}, ["input", "kind"]),
        ({"lineOfBusiness": "LIFE"}, ["input", "lineOfBusiness"]),
        ({"coverageTiers": ["EMPLOYEE_ONLY"]}, ["input", "coverageTiers"]),
    ],
)
async def test_what_policies_rely_on_cannot_change(
    admin: GraphQLClient, enrolled: Book, changes: dict[str, Any], field: list[str]
) -> None:
    # when
    payload = await admin.mutate(UPDATE, _medical(enrolled, name="Renamed", **changes))
    # then
    refused(payload, "IN_USE", field)
    state = (await admin.query(PRODUCT, {"id": global_id("Product", enrolled.medical.id)}))["node"]  # type: ignore[arg-type]
    assert (state["name"], state["kind"], state["version"]) == ("Medical PPO", "MEDICAL", 1)
    assert len(state["coverageTiers"]) == 4


async def test_a_tier_nobody_is_enrolled_in_may_go_from_a_product_in_use(
    admin: GraphQLClient, enrolled: Book
) -> None:
    # when (the family is in FAMILY only)
    payload = await admin.mutate(UPDATE, _medical(enrolled, coverageTiers=["FAMILY"]))
    # then
    assert ok(payload)["product"]["coverageTiers"] == ["FAMILY"]


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"name": " "}, "REQUIRED", ["input", "name"]),
        ({"lineOfBusiness": "PROPERTY"}, "NOT_FOUND", ["input", "lineOfBusiness"]),
        ({"coverageTiers": []}, "REQUIRED", ["input", "coverageTiers"]),
        ({"coverageTiers": ["FAMILY", "FAMILY"]}, "DUPLICATE", ["input", "coverageTiers", "1"]),
    ],
)
async def test_refuses_bad_input(
    admin: GraphQLClient, book: Book, changes: dict[str, Any], error: str, field: list[str]
) -> None:
    # when
    payload = await admin.mutate(UPDATE, _input(book, **changes))
    # then
    refused(payload, error, field)
    assert (await _state(admin, book))["version"] == 1


async def test_an_id_of_another_type_is_not_found(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(
        UPDATE, {"input": {"id": global_id("GroupClient", 1), "version": 1, "name": "X"}}
    )
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])


async def test_an_unknown_id_is_not_found(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(
        UPDATE, {"input": {"id": global_id("Product", 99999), "version": 1, "name": "X"}}
    )
    # then
    refused(payload, "NOT_FOUND", ["input", "id"])


async def test_every_role_but_admin_is_refused(
    admin: GraphQLClient, not_admin: GraphQLClient, book: Book
) -> None:
    # when / then
    await assert_forbidden(not_admin, UPDATE, _input(book, name="Mine"))
    assert (await _state(admin, book))["name"] == "Dental basic"
