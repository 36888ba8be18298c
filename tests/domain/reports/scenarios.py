"""Random books and callers for the figures' oracle tests (hypothesis strategies and writers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from authz.principal import Principal, Role
from domain.groups.models import GroupAccount, GroupClient
from domain.policies.models import (
    EnrollmentProduct,
    Gender,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyMember,
    Relationship,
)
from domain.reference.models import CoverageTier
from tests.factories import Book

BASE = date(2026, 1, 1)
CLIENTS = ("ROOT", "CHILD", "OTHER")
"""ROOT, CHILD below it, and OTHER: another employer's tree."""
ACCOUNTS = {"ROOT-GA": "ROOT", "CHILD-GA": "CHILD", "OTHER-GA": "OTHER"}
SUBJECT = "figures-caller"


def day(offset: int) -> date:
    return BASE + timedelta(days=offset)


@dataclass(frozen=True)
class Member:
    relationship: Relationship
    born: int
    start: int
    length: int | None


@dataclass(frozen=True)
class Cover:
    product: str
    tier: CoverageTier
    start: int
    length: int | None


@dataclass(frozen=True)
class PolicySpec:
    lob: str
    dag: str
    start: int
    accounts: tuple[str, ...]
    move_after: int
    members: tuple[Member, ...]
    products: tuple[Cover, ...]


@dataclass(frozen=True)
class Caller:
    role: Role
    dags: frozenset[str] = frozenset()
    lobs: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    own_policy: int | None = None

    def principal(self, person_numbers: list[str]) -> Principal:
        person = None
        if self.own_policy is not None and person_numbers:
            person = person_numbers[self.own_policy % len(person_numbers)]
        return Principal(
            SUBJECT,
            frozenset({self.role}),
            data_access_groups=self.dags,
            lines_of_business=self.lobs,
            groups=self.groups,
            person=person,
        )


_length = st.one_of(st.none(), st.integers(0, 60))
members = st.builds(
    Member,
    relationship=st.sampled_from(list(Relationship)),
    born=st.integers(1950, 2025),
    start=st.integers(0, 40),
    length=_length,
)
covers = st.builds(
    Cover,
    product=st.sampled_from(["MED-PPO", "DEN-BASIC"]),
    tier=st.sampled_from(list(CoverageTier)),
    start=st.integers(0, 40),
    length=_length,
)
policies = st.builds(
    PolicySpec,
    lob=st.sampled_from(["HEALTH", "LIFE"]),
    dag=st.sampled_from(["EU", "US"]),
    start=st.integers(0, 30),
    accounts=st.lists(st.sampled_from(sorted(ACCOUNTS)), min_size=1, max_size=2).map(tuple),
    move_after=st.integers(0, 40),
    members=st.lists(members, min_size=1, max_size=3).map(tuple),
    products=st.lists(covers, min_size=0, max_size=2).map(tuple),
)
_some = lambda values: st.frozensets(st.sampled_from(values), max_size=len(values))  # noqa: E731
callers = st.one_of(
    st.builds(Caller, role=st.just(Role.ADMIN)),
    st.builds(
        Caller,
        role=st.sampled_from([Role.BACKOFFICE, Role.REPORTING]),
        dags=_some(["EU", "US"]),
        lobs=_some(["HEALTH", "LIFE"]),
    ),
    st.builds(
        Caller, role=st.sampled_from([Role.GROUP_MANAGER, Role.PARTNER]), groups=_some(CLIENTS)
    ),
    st.builds(Caller, role=st.just(Role.EMPLOYEE), own_policy=st.integers(0, 5)),
)


@dataclass
class Written:
    """Ids of what a scenario wrote, by code."""

    clients: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    subscribers: list[str] = field(default_factory=list)


async def write_groups(book: Book) -> Written:
    """ROOT with CHILD below, OTHER apart, and an account in each."""
    written = Written()
    root = await book.client(code="ROOT")
    made: dict[str, GroupClient] = {
        "ROOT": root,
        "CHILD": await book.client(root, code="CHILD"),
        "OTHER": await book.client(code="OTHER", dag=book.dag_us),
    }
    for code, row in made.items():
        written.clients[code] = row.id  # type: ignore[assignment]
    for code, client in ACCOUNTS.items():
        account: GroupAccount = await book.account(made[client], code=code)
        written.accounts[code] = account.id  # type: ignore[assignment]
    return written


def _end(start: int, length: int | None) -> date | None:
    return None if length is None else day(start + length)


async def write_policies(book: Book, written: Written, specs: list[PolicySpec]) -> None:
    """Each policy with its members, account links (one after the other) and products."""
    s = book.session
    refs: dict[str, Any] = {
        "HEALTH": book.health.id,
        "LIFE": book.life.id,
        "EU": book.dag_eu.id,
        "US": book.dag_us.id,
        "MED-PPO": book.medical.id,
        "DEN-BASIC": book.dental.id,
    }
    for n, spec in enumerate(specs):
        persons = [
            Person(
                person_number=f"FIG-{n}-{i}",
                given_name="Given",
                family_name="Family",
                birth_date=date(m.born, 1 + (i * 5) % 12, 1 + (n * 7) % 28),
                gender=Gender.UNKNOWN,
            )
            for i, m in enumerate(spec.members)
        ]
        s.add_all(persons)
        await s.flush()
        written.subscribers.append(persons[0].person_number)
        policy = Policy(
            number=f"FIG-POL-{n}",
            subscriber_id=persons[0].id,  # type: ignore[arg-type]
            line_of_business_id=refs[spec.lob],
            data_access_group_id=refs[spec.dag],
            start_date=day(spec.start),
        )
        s.add(policy)
        await s.flush()
        s.add_all(_rows(spec, policy.id, persons, written, refs))  # type: ignore[arg-type]
    await s.flush()


def _rows(
    spec: PolicySpec, policy_id: int, persons: list[Person], written: Written, refs: dict[str, Any]
) -> list[Any]:
    rows: list[Any] = []
    for person, m in zip(persons, spec.members, strict=True):
        start = max(spec.start, m.start)
        rows.append(
            PolicyMember(
                policy_id=policy_id,
                person_id=person.id,  # type: ignore[arg-type]
                relationship=m.relationship,
                start_date=day(start),
                end_date=_end(start, m.length),
            )
        )
    starts = [spec.start, spec.start + spec.move_after + 1]
    for i, code in enumerate(spec.accounts):
        last = i == len(spec.accounts) - 1
        rows.append(
            PolicyAccountLink(
                policy_id=policy_id,
                group_account_id=written.accounts[code],
                start_date=day(starts[i]),
                end_date=None if last else day(starts[i + 1] - 1),
            )
        )
    for cover in spec.products:
        start = max(spec.start, cover.start)
        rows.append(
            EnrollmentProduct(
                policy_id=policy_id,
                product_id=refs[cover.product],
                coverage_tier=cover.tier,
                start_date=day(start),
                end_date=_end(start, cover.length),
            )
        )
    return rows


def at(offset_hours: float) -> datetime:
    """An instant, hours after the first day's midnight (UTC)."""
    return datetime.combine(BASE, datetime.min.time(), UTC) + timedelta(hours=offset_hours)


@dataclass(frozen=True)
class Line:
    action: str
    state: str
    by_server: bool
    after_hours: float


@dataclass(frozen=True)
class Task:
    assignee: str
    due_hours: float
    done_hours: float | None
    escalated: bool


@dataclass(frozen=True)
class RequestSpec:
    type: str
    channel: str
    mine: bool
    account: str | None
    lob: str
    dag: str
    hours: float
    lines: tuple[Line, ...]
    tasks: tuple[Task, ...]


_hours = st.floats(0, 400, allow_nan=False).map(lambda h: round(h, 3))
lines = st.builds(
    Line,
    action=st.sampled_from(
        ["SUBMITTED", "STATE_CHANGED", "APPROVED", "REJECTED", "ESCALATED", "FULFILLED", "WAITING"]
    ),
    state=st.sampled_from(["PENDING_APPROVAL", "APPROVED", "REJECTED", "COMPLETED", "SUBMITTED"]),
    by_server=st.booleans(),
    after_hours=_hours,
)
tasks = st.builds(
    Task,
    assignee=st.sampled_from(["GROUP_MANAGER", "BACK_OFFICE"]),
    due_hours=_hours,
    done_hours=st.one_of(st.none(), _hours),
    escalated=st.booleans(),
)
requests = st.builds(
    RequestSpec,
    type=st.sampled_from(["ENROLMENT", "TERMINATION", "MEDICAL_AUTHORIZATION"]),
    channel=st.sampled_from(["BACK_OFFICE", "GROUP_PORTAL", "EMPLOYEE"]),
    mine=st.booleans(),
    account=st.one_of(st.none(), st.sampled_from(sorted(ACCOUNTS))),
    lob=st.sampled_from(["HEALTH", "LIFE"]),
    dag=st.sampled_from(["EU", "US"]),
    hours=st.floats(0, 24 * 80, allow_nan=False).map(lambda h: round(h, 3)),
    lines=st.lists(lines, max_size=4).map(tuple),
    tasks=st.lists(tasks, max_size=2).map(tuple),
)


async def write_requests(book: Book, written: Written, specs: list[RequestSpec]) -> None:
    """Each request with its timeline and tasks, written straight to the tables."""
    from domain.workflow.models import (
        ProcessDefinition,
        WorkflowEvent,
        WorkflowRequest,
        WorkflowTask,
    )

    s = book.session
    definition = ProcessDefinition(
        key="figures", version=1, name="Figures", bpmn="", dmn={}, deployed_by="test"
    )
    s.add(definition)
    await s.flush()
    refs = {
        "HEALTH": book.health.id,
        "LIFE": book.life.id,
        "EU": book.dag_eu.id,
        "US": book.dag_us.id,
    }
    for n, spec in enumerate(specs):
        created = at(spec.hours)
        request = WorkflowRequest(
            type=spec.type,
            channel=spec.channel,
            state="SUBMITTED",
            submitted_by=SUBJECT if spec.mine else f"someone-{n}",
            process_definition_id=definition.id,  # type: ignore[arg-type]
            group_account_id=written.accounts[spec.account] if spec.account else None,
            line_of_business_id=refs[spec.lob],
            data_access_group_id=refs[spec.dag],
            details={},
            workflow="",
            created_at=created,
            updated_at=created,
        )
        s.add(request)
        await s.flush()
        s.add_all(
            WorkflowEvent(
                request_id=request.id,  # type: ignore[arg-type]
                at=created + timedelta(hours=line.after_hours),
                actor="groupcover" if line.by_server else f"person-{n}",
                action=line.action,
                state=line.state,
                message="-",
            )
            for line in spec.lines
        )
        s.add_all(
            WorkflowTask(
                request_id=request.id,  # type: ignore[arg-type]
                engine_task_id=f"t-{n}-{i}",
                name="task",
                title="Task",
                assignee=task.assignee,
                kind="APPROVAL",
                state="COMPLETED" if task.done_hours is not None else "OPEN",
                due_at=created + timedelta(hours=task.due_hours),
                escalated_at=created if task.escalated else None,
                completed_at=None
                if task.done_hours is None
                else created + timedelta(hours=task.done_hours),
                created_at=created,
            )
            for i, task in enumerate(spec.tasks)
        )
    await s.flush()
