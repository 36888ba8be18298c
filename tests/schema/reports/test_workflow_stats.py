"""workflowStats through the API: each role's figures and bad arguments."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import StatementCounter, token_for
from tests.domain.reports.scenarios import Line, RequestSpec, Task, write_groups, write_requests
from tests.factories import Book
from tests.graphql import GraphQLClient
from tests.schema.reports.books import callers

STATS = """
query Stats($from: Date!, $to: Date!, $groupBy: [WorkflowKey!]) {
  workflowStats(from: $from, to: $to, groupBy: $groupBy) {
    submitted autoApprovedShare decided medianHoursToDecision p90HoursToDecision
    medianHoursToCompletion withinDueShare escalated humanTouchesPerRequest
    type channel assignee month groupClient { code }
  }
}
"""
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


def _approved(account: str, hours: float, *, by_person: bool) -> RequestSpec:
    """An enrolment decided after `hours`, by a person's task or automatically."""
    lines = [Line("STATE_CHANGED", "APPROVED", True, hours)]
    tasks: tuple[Task, ...] = ()
    if by_person:
        lines.append(Line("APPROVED", "PENDING_APPROVAL", False, hours))
        tasks = (Task("GROUP_MANAGER", 48, hours, False),)
    return RequestSpec(
        "ENROLMENT", "EMPLOYEE", False, account, "HEALTH", "EU", 24.0, tuple(lines), tasks
    )


async def _book(session: AsyncSession) -> None:
    book = await Book(session).setup()
    written = await write_groups(book)
    specs = [
        _approved("ROOT-GA", 2, by_person=False),
        _approved("ROOT-GA", 10, by_person=True),
        _approved("CHILD-GA", 60, by_person=True),
        # another employer's, in the US: only an admin reaches it
        RequestSpec("ENROLMENT", "EMPLOYEE", False, "OTHER-GA", "HEALTH", "US", 24.0, (), ()),
    ]
    await write_requests(book, written, specs)
    await session.commit()


async def _ask(http: AsyncClient, role: str, **variables: Any) -> dict[str, Any]:
    principal = callers("-")[role]
    if role in ("group_manager", "partner"):
        principal = principal.__class__(
            principal.subject, principal.roles, groups=frozenset({"ROOT"})
        )
    return await GraphQLClient(http, token_for(principal)).raw(STATS, {**JANUARY, **variables})


@pytest.mark.parametrize(
    ("role", "submitted"),
    [("admin", 4), ("backoffice", 3), ("group_manager", 3), ("partner", 3), ("reporting", 3)],
)
async def test_each_role_measures_the_requests_it_reaches(
    http: AsyncClient, session: AsyncSession, role: str, submitted: int
) -> None:
    # given three ACME enrolments (one approved automatically after 2 hours, two by a manager
    # after 10 and 60 hours, both within the 48 hours due only for the first) and one of US
    await _book(session)
    # when
    body = await _ask(http, role)
    # then
    (row,) = body["data"]["workflowStats"]
    assert row["submitted"] == submitted
    assert row["decided"] == 3
    assert row["medianHoursToDecision"] == pytest.approx(10)
    assert row["p90HoursToDecision"] == pytest.approx(10 + 0.8 * 50)
    assert row["autoApprovedShare"] == pytest.approx(1 / submitted, abs=1e-6)
    assert row["withinDueShare"] == pytest.approx(0.5)
    assert row["humanTouchesPerRequest"] == pytest.approx(2 / submitted, abs=1e-6)


async def test_an_employee_may_not_read_service_levels(
    http: AsyncClient, session: AsyncSession
) -> None:
    await _book(session)
    body = await _ask(http, "employee")
    assert body["data"] == {"workflowStats": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_grouped_by_client_assignee_and_month_in_one_statement(
    http: AsyncClient, session: AsyncSession, statements: StatementCounter
) -> None:
    # given
    await _book(session)
    statements.reset()
    # when
    body = await _ask(http, "reporting", groupBy=["GROUP_CLIENT", "ASSIGNEE", "MONTH"])
    # then: the caller's stored grants, the figures' statement, one batch of group clients
    rows = {
        (r["groupClient"]["code"], r["assignee"], r["month"]): r["submitted"]
        for r in body["data"]["workflowStats"]
    }
    assert rows == {
        ("ROOT", None, "2026-01"): 1,
        ("ROOT", "GROUP_MANAGER", "2026-01"): 1,
        ("CHILD", "GROUP_MANAGER", "2026-01"): 1,
    }
    assert statements.count == 3, statements.statements


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        ({"groupBy": ["TYPE", "CHANNEL", "ASSIGNEE", "MONTH"]}, "groupBy", "INVALID_FORMAT"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to", "INVALID_FORMAT"),
        ({"from": "2026-01-02", "to": "2026-01-01"}, "to", "END_BEFORE_START"),
    ],
)
async def test_bad_arguments_are_refused_by_name(
    http: AsyncClient, variables: dict[str, Any], field: str, code: str
) -> None:
    body = await _ask(http, "reporting", **variables)
    assert body["data"] == {"workflowStats": None}
    (error,) = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, [field])
