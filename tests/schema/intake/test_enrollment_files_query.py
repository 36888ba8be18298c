"""enrollmentFiles and EnrollmentFile.rows: filtered, within reach, in a fixed number of statements."""

from __future__ import annotations

from httpx import AsyncClient

from schema.core.relay import global_id
from tests.conftest import StatementCounter
from tests.domain.intake.census import born, csv_of, family
from tests.factories import Place
from tests.graphql import GraphQLClient
from tests.schema.intake.test_enrollment_file_submit import ACME_HR
from tests.schema.intake.upload import submitted

FILES = """
query Files($filter: EnrollmentFileFilter, $outcome: RowOutcome) {
  enrollmentFiles(first: 5, filter: $filter) {
    totalCount
    edges { node {
      state groupClient { code }
      rows(filter: {outcome: $outcome}) { line outcome errors { field code } person { id } }
    } }
  }
}
"""


async def _send(http: AsyncClient, acme: Place, count: int) -> None:
    client_id = global_id("GroupClient", acme.client.id)  # type: ignore[arg-type]
    for i in range(count):
        bad = family(f"B{i}", "Bob", child_born=born(40))
        await submitted(
            http, ACME_HR, csv_of(*family(f"E{i}", "Ann"), *bad), groupClientId=client_id
        )


async def test_rows_are_filtered_by_outcome(http: AsyncClient, acme: Place) -> None:
    await _send(http, acme, 1)
    data = await GraphQLClient(http, ACME_HR).query(
        FILES, {"filter": {"state": "PARTIALLY_APPLIED"}, "outcome": "REFUSED"}
    )
    (edge,) = data["enrollmentFiles"]["edges"]
    assert edge["node"]["groupClient"] == {"code": "ACME"}
    assert [r["line"] for r in edge["node"]["rows"]] == [5, 6, 7]
    assert all(r["outcome"] == "REFUSED" and r["person"] is None for r in edge["node"]["rows"])


async def test_files_and_rows_take_the_same_statements_for_one_file_or_many(
    http: AsyncClient, acme: Place, statements: StatementCounter
) -> None:
    client = GraphQLClient(http, ACME_HR)
    await _send(http, acme, 1)
    statements.reset()
    one = await client.query(FILES)
    for_one = statements.count
    await _send(http, acme, 3)
    statements.reset()
    many = await client.query(FILES)
    assert (one["enrollmentFiles"]["totalCount"], many["enrollmentFiles"]["totalCount"]) == (1, 4)
    assert statements.count == for_one, statements.statements
