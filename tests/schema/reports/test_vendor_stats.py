"""vendorStats through the API: each vendor's figures against what paging its inbox shows,
an admin's view of every vendor, a vendor's of its own only, and bad arguments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import GrantKind, Principal, Role
from domain.access.models import AccessGrant
from domain.workflow.models import ProcessDefinition, WorkflowRequest, WorkflowTask
from tests.conftest import token_for
from tests.domain.reports.scenarios import at, write_groups
from tests.factories import Book
from tests.graphql import GraphQLClient

STATS = """
query Stats($from: Date!, $to: Date!, $subject: String) {
  vendorStats(from: $from, to: $to, subject: $subject) {
    subject tasks done withinDueShare medianHoursToDone escalated open
  }
}
"""
INBOX = """
query($after: String) {
  workflowTasks(first: 2, after: $after, filter: {state: null}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { state dueAt completedBy completedAt escalatedAt } }
  }
}
"""
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


@dataclass(frozen=True)
class Spec:
    type: str
    account: str | None
    assignee: str
    kind: str
    hours: float
    """When the task was made, in hours after 1 January."""
    done: tuple[str, float] | None = None
    """Who completed it, how many hours after it was made."""
    escalated: bool = False

    @property
    def due(self) -> float:
        return self.hours + 24


SPECS = [
    # vendor-a's work: enrolments under ROOT (and CHILD below it), any back-office task
    Spec("ENROLMENT", "ROOT-GA", "BACK_OFFICE", "APPROVAL", 0, ("vendor-a", 10)),
    Spec("ENROLMENT", "CHILD-GA", "BACK_OFFICE", "FULFILMENT", 5, ("vendor-a", 30)),
    Spec("ENROLMENT", "ROOT-GA", "BACK_OFFICE", "APPROVAL", 10, ("bo-1", 50), escalated=True),
    Spec("ENROLMENT", "ROOT-GA", "BACK_OFFICE", "FULFILMENT", 20),
    Spec("ENROLMENT", "ROOT-GA", "BACK_OFFICE", "APPROVAL", 24 * 31 + 1, ("vendor-a", 2)),
    # vendor-b's work: terminations under OTHER, fulfilments only
    Spec("TERMINATION", "OTHER-GA", "BACK_OFFICE", "FULFILMENT", 1, ("vendor-b", 3)),
    # nobody's: a manager's task, another type, another group, no account, another kind
    Spec("ENROLMENT", "ROOT-GA", "GROUP_MANAGER", "APPROVAL", 2, ("hr-1", 1)),
    Spec("TERMINATION", "ROOT-GA", "BACK_OFFICE", "APPROVAL", 3, ("vendor-a", 1)),
    Spec("ENROLMENT", "OTHER-GA", "BACK_OFFICE", "APPROVAL", 4),
    Spec("ENROLMENT", None, "BACK_OFFICE", "APPROVAL", 6),
    Spec("TERMINATION", "OTHER-GA", "BACK_OFFICE", "APPROVAL", 7, ("vendor-b", 1)),
]
GRANTS = {
    "vendor-a": [(GrantKind.GROUP_CLIENT, "ROOT"), (GrantKind.REQUEST_TYPE, "ENROLMENT")],
    "vendor-b": [
        (GrantKind.GROUP_CLIENT, "OTHER"),
        (GrantKind.REQUEST_TYPE, "TERMINATION"),
        (GrantKind.TASK_KIND, "FULFILMENT"),
    ],
    "vendor-c": [(GrantKind.GROUP_CLIENT, "ROOT")],
}


async def _write(session: AsyncSession) -> None:
    book = await Book(session).setup()
    written = await write_groups(book)
    definition = ProcessDefinition(key="v", version=1, name="V", bpmn="", dmn={}, deployed_by="t")
    session.add(definition)
    await session.flush()
    for n, spec in enumerate(SPECS):
        made = at(spec.hours)
        request = WorkflowRequest(
            type=spec.type,
            channel="BACK_OFFICE",
            state="SUBMITTED",
            submitted_by="someone",
            process_definition_id=definition.id,  # type: ignore[arg-type]
            group_account_id=written.accounts[spec.account] if spec.account else None,
            details={},
            workflow="",
            created_at=made,
        )
        session.add(request)
        await session.flush()
        session.add(_task(n, request.id, spec, made))  # type: ignore[arg-type]
    session.add_all(
        AccessGrant(subject=subject, role=Role.VENDOR, kind=kind, code=code, created_by="t")
        for subject, grants in GRANTS.items()
        for kind, code in grants
    )
    await session.commit()


def _task(n: int, request_id: int, spec: Spec, made: datetime) -> WorkflowTask:
    by, after = spec.done or (None, 0.0)
    return WorkflowTask(
        request_id=request_id,
        engine_task_id=f"t-{n}",
        name="task",
        title="Task",
        assignee=spec.assignee,
        kind=spec.kind,
        state="COMPLETED" if by else "OPEN",
        due_at=at(spec.due),
        escalated_at=made if spec.escalated else None,
        completed_by=by,
        completed_at=made + timedelta(hours=after) if by else None,
        created_at=made,
    )


@pytest.fixture
async def book_written(session: AsyncSession) -> None:
    await _write(session)


def _client(http: AsyncClient, subject: str, role: Role) -> GraphQLClient:
    return GraphQLClient(http, token_for(Principal(subject, frozenset({role}))))


async def _paged(vendor: GraphQLClient) -> tuple[int, list[dict[str, Any]]]:
    """The vendor's whole inbox, every state, page by page."""
    nodes, after, total = [], None, 0
    while True:
        page = (await vendor.query(INBOX, {"after": after}))["workflowTasks"]
        total = page["totalCount"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return total, nodes
        after = page["pageInfo"]["endCursor"]


def _in_january(node: dict[str, Any]) -> bool:
    # Every task here is due 24 hours after it was made.
    return datetime.fromisoformat(node["dueAt"]) < at(24 * 31 + 24)


@pytest.mark.usefixtures("book_written")
@pytest.mark.parametrize("subject", ["vendor-a", "vendor-b"])
async def test_a_vendors_figures_are_what_paging_its_inbox_counts(
    http: AsyncClient, subject: str
) -> None:
    # given
    vendor = _client(http, subject, Role.VENDOR)
    total, nodes = await _paged(vendor)
    january = [node for node in nodes if _in_january(node)]
    done = [node for node in january if node["completedBy"] == subject]
    hours = [
        (
            datetime.fromisoformat(n["completedAt"]) - datetime.fromisoformat(n["dueAt"])
        ).total_seconds()
        / 3600
        + 24
        for n in done
    ]
    # when
    (row,) = (await vendor.query(STATS, JANUARY))["vendorStats"]
    # then
    assert total == len(nodes)
    assert row == {
        "subject": subject,
        "tasks": len(january),
        "done": len(done),
        "withinDueShare": sum(n["completedAt"] <= n["dueAt"] for n in done) / len(done),
        "medianHoursToDone": pytest.approx(median(hours), abs=1e-3),
        "escalated": sum(n["escalatedAt"] is not None for n in january),
        "open": sum(n["state"] == "OPEN" for n in january),
    }


@pytest.mark.usefixtures("book_written")
async def test_an_admin_sees_every_vendor_and_a_vendor_only_itself(http: AsyncClient) -> None:
    # given
    admin = _client(http, "admin-1", Role.ADMIN)
    vendor = _client(http, "vendor-a", Role.VENDOR)
    # when
    every = (await admin.query(STATS, JANUARY))["vendorStats"]
    own = (await vendor.query(STATS, JANUARY))["vendorStats"]
    others = await vendor.query(STATS, {**JANUARY, "subject": "vendor-b"})
    one = await admin.query(STATS, {**JANUARY, "subject": "vendor-b"})
    # then
    assert every == [
        {
            "subject": "vendor-a",
            "tasks": 4,
            "done": 2,
            "withinDueShare": 0.5,
            "medianHoursToDone": pytest.approx(20.0, abs=1e-3),
            "escalated": 1,
            "open": 1,
        },
        {
            "subject": "vendor-b",
            "tasks": 1,
            "done": 1,
            "withinDueShare": 1.0,
            "medianHoursToDone": pytest.approx(3.0, abs=1e-3),
            "escalated": 0,
            "open": 0,
        },
        {
            "subject": "vendor-c",
            "tasks": 0,
            "done": 0,
            "withinDueShare": None,
            "medianHoursToDone": None,
            "escalated": 0,
            "open": 0,
        },
    ]
    assert own == every[:1]
    assert others == {"vendorStats": []}
    assert one == {"vendorStats": every[1:2]}


@pytest.mark.usefixtures("book_written")
async def test_the_range_counts_tasks_made_in_it(http: AsyncClient) -> None:
    # when
    body = await _client(http, "vendor-a", Role.VENDOR).query(
        STATS, {"from": "2026-02-01", "to": "2026-02-28"}
    )
    # then
    assert [(r["tasks"], r["done"]) for r in body["vendorStats"]] == [(1, 1)]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "END_BEFORE_START"),
        ({"from": "2026-01-01", "to": "2027-06-01"}, "INVALID_FORMAT"),
    ],
)
async def test_a_bad_range_is_refused_naming_it(
    http: AsyncClient, variables: dict[str, str], code: str
) -> None:
    # when
    body = await _client(http, "admin-1", Role.ADMIN).raw(STATS, variables)
    # then
    (error,) = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, ["to"])
    assert body["data"] == {"vendorStats": None}
