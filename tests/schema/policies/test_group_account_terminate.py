"""groupAccountTerminate: the account ends, and every policy still in it ends with it."""

from __future__ import annotations

from typing import Any

from schema.core.relay import global_id
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.policies.enrol import days, enrol, person

TERMINATE = """
mutation End($input: GroupAccountTerminateInput!) {
  groupAccountTerminate(input: $input) {
    groupAccount { code endDate version groupClient { status } }
    terminatedPolicyCount
    errors { field message code }
  }
}
"""

POLICIES = """
query { policies { edges { node { number status endDate } } } }
"""


def _input(where: Place, version: int = 1, **more: Any) -> dict[str, Any]:
    account = global_id("GroupAccount", where.account.id)  # type: ignore[arg-type]
    return {"input": {"id": account, "version": version, "endDate": days(30), **more}}


async def test_ends_every_policy_still_in_the_account(
    admin: GraphQLClient, acme: Place, book: Book
) -> None:
    # given two families in Acme and one elsewhere
    await enrol(admin, acme, number="A-1")
    await enrol(admin, acme, number="A-2", subscriber={"person": person("Mary")}, dependants=[])
    other = await place(book, code="GLOBEX")
    await enrol(admin, other, number="G-1", subscriber={"person": person("Olga")}, dependants=[])
    # when
    payload = ok(await admin.mutate(TERMINATE, _input(acme)))
    # then
    assert payload["terminatedPolicyCount"] == 2
    assert payload["groupAccount"]["endDate"] == days(30)
    assert payload["groupAccount"]["groupClient"]["status"] == "CHANGED"
    found = await admin.query(POLICIES)
    assert {
        (e["node"]["number"], e["node"]["status"], e["node"]["endDate"])
        for e in found["policies"]["edges"]
    } == {
        ("A-1", "TERMINATED", days(30)),
        ("A-2", "TERMINATED", days(30)),
        ("G-1", "ACTIVE", None),
    }


async def test_no_one_enrols_in_an_ended_account(admin: GraphQLClient, acme: Place) -> None:
    # given
    ok(await admin.mutate(TERMINATE, _input(acme)))
    # when
    from tests.schema.policies.enrol import ENROLL, enrol_input

    payload = await admin.mutate(ENROLL, enrol_input(acme, dependants=[]))
    # then
    assert [e["code"] for e in payload["errors"]] == ["NOT_OFFERED"]


async def test_refuses_bad_terminations(admin: GraphQLClient, acme: Place) -> None:
    # given
    await enrol(admin, acme, number="A-1", startDate=days(40))
    # then a policy that only starts after the end must be dealt with first
    refused(await admin.mutate(TERMINATE, _input(acme)), "CONFLICT", ["input", "endDate"])
    too_early = await admin.mutate(TERMINATE, _input(acme, endDate=days(-100)))
    assert [e["code"] for e in too_early["errors"]] == ["TOO_FAR_BACK", "CONFLICT"]
    refused(
        await admin.mutate(TERMINATE, _input(acme, version=3)),
        "STALE_VERSION",
        ["input", "version"],
    )


async def test_an_account_ends_once(admin: GraphQLClient, acme: Place) -> None:
    # given
    ended = ok(await admin.mutate(TERMINATE, _input(acme, endDate=days(50))))
    # when
    payload = await admin.mutate(TERMINATE, _input(acme, ended["groupAccount"]["version"]))
    # then
    refused(payload, "WRONG_STATUS", ["input", "id"])
