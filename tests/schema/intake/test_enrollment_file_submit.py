"""enrollmentFileSubmit through the real app: a multipart upload, its record, and its limits."""

from __future__ import annotations

from dataclasses import replace

from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import SETTINGS, token_for
from tests.domain.intake.census import born, csv_of, family
from tests.factories import Place
from tests.graphql import GraphQLClient
from tests.schema.intake.upload import SUBMIT, submit, submitted

ADMIN = token_for(Principal("admin-1", frozenset({Role.ADMIN})))
ACME_HR = token_for(Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"})))
GLOBEX_HR = token_for(
    Principal("hr-2", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"GLOBEX"}))
)
GLOBEX_PARTNER = token_for(
    Principal("partner-2", frozenset({Role.PARTNER}), groups=frozenset({"GLOBEX"}))
)
FILES = """
query Files { enrollmentFiles(first: 5) { totalCount edges { node { id state } } } }
"""


def _client(where: Place) -> str:
    return global_id("GroupClient", where.client.id)  # type: ignore[arg-type]


async def test_a_census_is_applied_family_by_family(http: AsyncClient, acme: Place) -> None:
    # given two good families and one whose spouse's birth date is no date
    bad = family("E2", "Bob")
    bad[1] = bad[1].replace(born(38), "1986-13-45")
    data = csv_of(*family("E1", "Ann"), *bad, *family("E3", "Cy"))
    # when the group's manager sends it
    payload = await submitted(http, ACME_HR, data, groupClientId=_client(acme))
    # then
    assert payload["errors"] == []
    record = payload["enrollmentFile"]
    assert record["state"] == "PARTIALLY_APPLIED"
    assert (record["receivedPolicies"], record["appliedRows"], record["refusedRows"]) == (3, 6, 3)
    refused = [r for r in record["rows"] if r["outcome"] == "REFUSED"]
    assert [r["line"] for r in refused] == [5, 6, 7]
    assert refused[1]["errors"] == [{"field": ["birth_date"], "code": "INVALID_FORMAT"}]
    assert all(r["policy"] for r in record["rows"] if r["outcome"] == "APPLIED")


async def test_a_dry_run_and_a_second_apply_change_nothing(http: AsyncClient, acme: Place) -> None:
    data = csv_of(*family("E1", "Ann"))
    dry = await submitted(http, ACME_HR, data, groupClientId=_client(acme), dryRun=True)
    first = await submitted(http, ACME_HR, data, groupClientId=_client(acme))
    again = await submitted(http, ACME_HR, data, groupClientId=_client(acme))
    assert dry["enrollmentFile"]["state"] == "VALIDATED"
    assert [r["outcome"] for r in dry["enrollmentFile"]["rows"]] == ["VALID"] * 3
    assert first["enrollmentFile"]["appliedRows"] == 3
    assert again["enrollmentFile"]["state"] == "APPLIED"
    assert [r["outcome"] for r in again["enrollmentFile"]["rows"]] == ["NO_CHANGE"] * 3


async def test_another_employer_cannot_submit_for_acme_nor_list_its_files(
    http: AsyncClient, acme: Place, globex: Place
) -> None:
    data = csv_of(*family("E1", "Ann"))
    await submitted(http, ACME_HR, data, groupClientId=_client(acme))
    for token in (GLOBEX_HR, GLOBEX_PARTNER):
        payload = await submitted(http, token, data, groupClientId=_client(acme))
        unknown = await submitted(
            http, token, data, groupClientId=global_id("GroupClient", 999_999)
        )
        assert payload == unknown
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_FOUND", ["input", "groupClientId"])
        ]
        files = await GraphQLClient(http, token).raw(FILES)
        listed = (files.get("data") or {}).get("enrollmentFiles")
        assert listed is None or listed["totalCount"] == 0
    files = await GraphQLClient(http, ACME_HR).query(FILES)
    assert files["enrollmentFiles"]["totalCount"] == 1


async def test_a_file_over_the_limit_gets_413(
    sessions: async_sessionmaker[AsyncSession], acme: Place
) -> None:
    app = create_app(replace(SETTINGS, max_file_bytes=5000), sessions=sessions)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        small = await submit(http, ADMIN, csv_of(*family("E1", "Ann")), groupClientId=_client(acme))
        large = await submit(http, ADMIN, b"x" * 6000, groupClientId=_client(acme))
    assert small.status_code == 200
    assert large.status_code == 413


async def test_bad_files_are_rejected_whole_naming_why(http: AsyncClient, acme: Place) -> None:
    good = csv_of(*family("E1", "Ann"))
    cases = {
        "binary": b"\x00\x01PK\x03\x04" + good,
        "long line": csv_of(*family("E1", "Ann")) + b"E9," + b"a" * 20_000 + b"\n",
        "truncated": good + b'E9,SUBSCRIBER,"Unclosed',
        "unknown column": good.replace(b"class_code", b"klass"),
    }
    for name, data in cases.items():
        payload = await submitted(http, ADMIN, data, groupClientId=_client(acme))
        record = payload["enrollmentFile"]
        assert record["state"] == "REJECTED", name
        assert record["errors"], name
        assert record["appliedRows"] == 0, name
    files = await GraphQLClient(http, ADMIN).query("{ policies(first: 5) { totalCount } }")
    assert files["policies"]["totalCount"] == 0


async def test_a_file_sent_as_json_text_is_refused_naming_the_field(
    http: AsyncClient, acme: Place
) -> None:
    body = await GraphQLClient(http, ADMIN).mutate(
        SUBMIT, {"input": {"groupClientId": _client(acme), "format": "CSV", "file": "a,b\n"}}
    )
    assert [(e["code"], e["field"]) for e in body["errors"]] == [("REQUIRED", ["input", "file"])]
    assert body["enrollmentFile"] is None
