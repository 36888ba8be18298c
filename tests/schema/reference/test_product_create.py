"""productCreate: an admin adds a product of a line of business with its coverage tiers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.reference.conftest import assert_forbidden, audit

CREATE = """
mutation Create($input: ProductCreateInput!) {
  productCreate(input: $input) {
    product { id code name kind version coverageTiers lineOfBusiness { code } }
    errors { field message code }
  }
}
"""

PRODUCTS = "{ products { code } }"


def _input(**changes: Any) -> dict[str, Any]:
    values = {
        "code": "VIS-STD",
        "name": "Vision standard",
        "kind": "VISION",
        "lineOfBusiness": "HEALTH",
        "coverageTiers": ["FAMILY", "EMPLOYEE_ONLY"],
    }
    return {"input": {**values, **changes}}


async def test_adds_a_product_with_its_tiers_and_audits_them(
    admin: GraphQLClient, book: Book
) -> None:
    # when
    payload = await admin.mutate(CREATE, _input())
    # then
    product = ok(payload)["product"]
    assert {k: v for k, v in product.items() if k != "id"} == {
        "code": "VIS-STD",
        "name": "Vision standard",
        "kind": "VISION",
        "version": 1,
        "coverageTiers": ["EMPLOYEE_ONLY", "FAMILY"],
        "lineOfBusiness": {"code": "HEALTH"},
    }
    node = await admin.query(
        "query($id: ID!) { node(id: $id) { ... on Product { code } } }", {"id": product["id"]}
    )
    assert node["node"] == {"code": "VIS-STD"}
    (event,) = await audit(admin, "productCreate")
    assert event["after"]["coverage_tiers"] == ["EMPLOYEE_ONLY", "FAMILY"]


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"code": "MED-PPO"}, "DUPLICATE", ["input", "code"]),
        ({"code": "with space"}, "INVALID_FORMAT", ["input", "code"]),
        ({"code": ""}, "REQUIRED", ["input", "code"]),
        ({"name": ""}, "REQUIRED", ["input", "name"]),
        ({"lineOfBusiness": "PROPERTY"}, "NOT_FOUND", ["input", "lineOfBusiness"]),
        ({"lineOfBusiness": "not a code"}, "NOT_FOUND", ["input", "lineOfBusiness"]),
        ({"coverageTiers": []}, "REQUIRED", ["input", "coverageTiers"]),
        (
            {"coverageTiers": ["FAMILY", "EMPLOYEE_ONLY", "FAMILY"]},
            "DUPLICATE",
            ["input", "coverageTiers", "2"],
        ),
    ],
)
async def test_refuses_bad_input_and_adds_nothing(
    admin: GraphQLClient, book: Book, changes: dict[str, Any], error: str, field: list[str]
) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(**changes))
    # then
    refused(payload, error, field)
    assert payload["product"] is None
    assert len((await admin.query(PRODUCTS))["products"]) == 3
    assert await audit(admin, "productCreate") == []


async def test_an_unknown_kind_is_refused_by_the_schema(admin: GraphQLClient, book: Book) -> None:
    # when
    body = await admin.raw(CREATE, _input(kind="PET"))
    # then
    assert "PET" in body["errors"][0]["message"]
    assert len((await admin.query(PRODUCTS))["products"]) == 3


async def test_every_role_but_admin_is_refused(
    admin: GraphQLClient, not_admin: GraphQLClient, book: Book
) -> None:
    # when / then
    await assert_forbidden(not_admin, CREATE, _input())
    assert len((await admin.query(PRODUCTS))["products"]) == 3
