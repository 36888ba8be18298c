"""Defining a group account's catalogue: each refusal names its field and keeps nothing."""

from __future__ import annotations

from typing import Any

import pytest

from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.catalogue.conftest import END, add, listed, service, upgrade
from tests.schema.policies.enrol import days


async def test_the_back_office_offers_a_service_and_an_upgrade(
    admin: GraphQLClient, acme: Place
) -> None:
    # when
    gym = ok(await add(admin, service(acme)))["catalogueItem"]
    path = ok(await add(admin, upgrade(acme, fromTier="FAMILY")))["catalogueItem"]
    # then
    assert (gym["price"], gym["employerShare"], gym["employeeShare"]) == ("40.00", "10.00", "30.00")
    assert (gym["fromProduct"], gym["toProduct"]) == (None, None)
    assert path["fromProduct"] == {"code": "MED-PPO"}
    assert (path["fromTier"], path["toProduct"], path["toTier"]) == (
        "FAMILY",
        {"code": "DEN-BASIC"},
        None,
    )
    assert path["groupAccount"] == {"code": "ACME-GA"}
    assert [i["code"] for i in await listed(admin)] == ["GYM", "UP-DENTAL"]
    status = await admin.query('{ groupClient(code: "ACME") { status } }')
    assert status["groupClient"]["status"] == "CHANGED"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"price": "-1.00"}, "INVALID_FORMAT", "price"),
        ({"price": "1.234"}, "INVALID_FORMAT", "price"),
        ({"price": "NaN"}, "INVALID_FORMAT", "price"),
        ({"employerShare": "40.01"}, "INVALID_FORMAT", "employerShare"),
        ({"employerShare": "-0.01"}, "INVALID_FORMAT", "employerShare"),
        ({"currency": "EURO"}, "INVALID_FORMAT", "currency"),
        ({"code": " "}, "REQUIRED", "code"),
        ({"name": "x" * 201}, "TOO_LONG", "name"),
        ({"endDate": days(-11)}, "END_BEFORE_START", "endDate"),
        ({"toProductCode": "DEN-BASIC"}, "NOT_ALLOWED", "toProductCode"),
        ({"kind": "UPGRADE"}, "REQUIRED", "fromProductCode"),
    ],
)
async def test_a_bad_service_is_refused_by_field(
    admin: GraphQLClient, acme: Place, changes: dict[str, Any], code: str, field: str
) -> None:
    # when
    payload = await add(admin, service(acme, **changes))
    # then
    assert (payload["errors"][0]["code"], payload["errors"][0]["field"]) == (
        code,
        ["input", field],
    )
    assert payload["catalogueItem"] is None
    assert await listed(admin) == []


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"toProductCode": "NOPE"}, "NOT_FOUND", "toProductCode"),
        ({"toProductCode": "MED-PPO"}, "NOT_ALLOWED", "toTier"),
        ({"toTier": "FAMILY", "toProductCode": "LIFE-2X"}, "NOT_OFFERED", "toTier"),
        ({"fromTier": "FAMILY", "fromProductCode": "LIFE-2X"}, "NOT_OFFERED", "fromTier"),
    ],
)
async def test_a_bad_upgrade_path_is_refused_by_field(
    admin: GraphQLClient, acme: Place, changes: dict[str, Any], code: str, field: str
) -> None:
    refused(await add(admin, upgrade(acme, **changes)), code, ["input", field])
    assert await listed(admin) == []


async def test_an_upgrade_to_a_product_the_account_does_not_sell_is_not_offered(
    admin: GraphQLClient, book: Book, acme: Place
) -> None:
    # given another account that sells only medical
    other = await book.account(acme.client, code="ACME-2", products=1)
    # when
    payload = await add(
        admin,
        upgrade(acme, groupAccountId=global_id("GroupAccount", other.id)),  # type: ignore[arg-type]
    )
    # then
    refused(payload, "NOT_OFFERED", ["input", "toProductCode"])


async def test_one_item_of_a_code_and_one_of_a_path_on_any_day(
    admin: GraphQLClient, acme: Place
) -> None:
    # given
    ok(await add(admin, service(acme, endDate=days(30))))
    ok(await add(admin, upgrade(acme)))
    # then
    refused(await add(admin, service(acme, startDate=days(30))), "OVERLAP", ["input", "code"])
    refused(
        await add(admin, upgrade(acme, code="UP-OTHER", startDate=days(100))),
        "OVERLAP",
        ["input", "toProductCode"],
    )
    ok(await add(admin, service(acme, startDate=days(31), price="45.00")))


async def test_an_item_ends(admin: GraphQLClient, acme: Place) -> None:
    # given
    gym = ok(await add(admin, service(acme)))["catalogueItem"]
    end = {"id": gym["id"], "version": gym["version"], "endDate": days(0)}
    # when
    ended = ok(await admin.mutate(END, {"input": end}))["catalogueItem"]
    # then
    assert (ended["endDate"], ended["version"]) == (days(0), 2)
    refused(await admin.mutate(END, {"input": end}), "STALE_VERSION", ["input", "version"])
    early = {**end, "version": 2, "endDate": days(-11)}
    refused(await admin.mutate(END, {"input": early}), "END_BEFORE_START", ["input", "endDate"])
    assert await listed(admin, asOf=days(1)) == []


async def test_another_tenants_back_office_reaches_none_of_it(
    http: Any, admin: GraphQLClient, book: Book, acme: Place
) -> None:
    # given ACME's item, and the back office of US clients only
    gym = ok(await add(admin, service(acme)))["catalogueItem"]
    globex = await place(book, code="GLOBEX")
    us = GraphQLClient(
        http,
        token_for(
            Principal(
                "bo-us",
                frozenset({Role.BACKOFFICE}),
                data_access_groups=frozenset({"US"}),
                lines_of_business=frozenset({"HEALTH"}),
            )
        ),
    )
    manager = GraphQLClient(
        http,
        token_for(Principal("hr-g", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"GLOBEX"}))),
    )
    end = {"id": gym["id"], "version": gym["version"], "endDate": days(0)}
    # when / then: ACME's ids read as unknown, in the same words as garbage
    refused(await add(us, service(acme, code="SPA")), "NOT_FOUND", ["input", "groupAccountId"])
    refused(await us.mutate(END, {"input": end}), "NOT_FOUND", ["input", "id"])
    garbage = await us.mutate(END, {"input": {**end, "id": global_id("CatalogueItem", 99999)}})
    assert (
        garbage["errors"][0]["message"]
        == (await us.mutate(END, {"input": end}))["errors"][0]["message"]
    )
    assert await listed(us) == [] and await listed(manager) == []
    assert (await us.query("query($id: ID!) { node(id: $id) { id } }", {"id": gym["id"]}))[
        "node"
    ] is None
    assert await listed(admin, groupAccountId=global_id("GroupAccount", globex.account.id)) == []  # type: ignore[arg-type]
    (kept,) = await listed(admin)
    assert kept["endDate"] is None
