from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from api.demo.book import load_demo_book
from authz.access import EVERYTHING, Actor
from domain.audit.models import AuditEvent
from domain.core.columns import utcnow
from domain.database import all_models
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupAccountProductClass,
    GroupClient,
    GroupStatus,
    InsurableClass,
)
from domain.groups.products import remove_group_account_product
from domain.reference.models import (
    CoverageTier,
    DataAccessGroup,
    LineOfBusiness,
    Product,
    ProductCoverageTier,
    ProductKind,
)
from domain.workflow.models import (
    Assignee,
    RequestState,
    RequestType,
    TaskState,
    WorkflowRequest,
    WorkflowTask,
)
from domain.workflow.steps import escalate_overdue
from tests.conftest import StatementCounter


async def _all(session: AsyncSession, model: Any) -> list[Any]:
    return list((await session.scalars(sa.select(model))).all())


async def _clients(session: AsyncSession) -> dict[str, GroupClient]:
    return {client.code: client for client in await _all(session, GroupClient)}


def _subtree(clients: dict[str, GroupClient], root: str) -> dict[str, int]:
    """Return the codes under `root` (itself included) with their depth, root at 1."""
    by_id = {client.id: client for client in clients.values()}
    depths: dict[str, int] = {}
    for code, client in clients.items():
        depth, node = 1, client
        while node.parent_id is not None and node.code != root:
            node, depth = by_id[node.parent_id], depth + 1
        if node.code == root:
            depths[code] = depth
    return depths


async def _accounts_under(session: AsyncSession, client_ids: set[int | None]) -> list[GroupAccount]:
    return [a for a in await _all(session, GroupAccount) if a.group_client_id in client_ids]


async def _classes_of(session: AsyncSession, accounts: list[GroupAccount]) -> list[InsurableClass]:
    ids = {account.id for account in accounts}
    return [c for c in await _all(session, InsurableClass) if c.group_account_id in ids]


async def _snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary key order."""
    all_models()
    snapshot = {}
    for table in SQLModel.metadata.sorted_tables:
        stmt = sa.select(table).order_by(*table.primary_key.columns)
        snapshot[table.name] = [tuple(row) for row in (await session.execute(stmt)).all()]
    return snapshot


async def test_builds_a_multinational_four_levels_deep_in_three_countries(
    session: AsyncSession,
) -> None:
    # when
    await load_demo_book(session, families=20)
    # then
    clients = await _clients(session)
    globex = _subtree(clients, "GLOBEX")
    assert max(globex.values()) >= 4
    subsidiaries = [c for c in clients.values() if c.parent_id == clients["GLOBEX"].id]
    assert sorted(c.name for c in subsidiaries) == [
        "Globex France SAS",
        "Globex Germany GmbH",
        "Globex Inc.",
    ]
    dags = {d.id: d.code for d in await _all(session, DataAccessGroup)}
    assert sorted(dags[c.data_access_group_id] for c in subsidiaries) == ["EU", "EU", "US"]
    accounts = await _accounts_under(session, {clients[code].id for code in globex})
    classes = await _classes_of(session, accounts)
    assert {"EXEC", "SAL", "HOURLY"} <= {c.code for c in classes}
    narrowed = await _all(session, GroupAccountProductClass)
    assert {link.insurable_class_id for link in narrowed} & {c.id for c in classes}


async def test_every_globex_leaf_has_a_group_account(session: AsyncSession) -> None:
    # when
    await load_demo_book(session, families=20)
    # then
    clients = await _clients(session)
    globex = _subtree(clients, "GLOBEX")
    parents = {c.parent_id for c in clients.values()}
    leaves = {clients[code].id for code in globex if clients[code].id not in parents}
    accounts = await _accounts_under(session, leaves)
    assert {a.group_client_id for a in accounts} == leaves


async def test_builds_a_mid_size_company_and_a_small_business(session: AsyncSession) -> None:
    # when
    await load_demo_book(session, families=20)
    # then
    clients = await _clients(session)
    northwind = {clients[code].id for code in _subtree(clients, "NORTHWIND")}
    northwind_accounts = await _accounts_under(session, northwind)
    assert len(northwind) >= 2
    assert len(northwind_accounts) >= 3
    assert len(await _classes_of(session, northwind_accounts)) >= 4
    assert _subtree(clients, "BRIGHTSIDE") == {"BRIGHTSIDE": 1}
    bakery_accounts = await _accounts_under(session, {clients["BRIGHTSIDE"].id})
    assert [a.name for a in bakery_accounts] == ["Brightside all employees"]


async def test_offers_medical_dental_and_life_products_in_their_tiers(
    session: AsyncSession,
) -> None:
    # when
    await load_demo_book(session, families=20)
    # then
    products = {p.id: p for p in await _all(session, Product)}
    kinds = Counter(p.kind for p in products.values())
    assert kinds[ProductKind.MEDICAL] >= 3
    assert kinds[ProductKind.DENTAL] >= 1
    assert kinds[ProductKind.LIFE] >= 1
    tiers: dict[str, set[CoverageTier]] = {p.code: set() for p in products.values()}
    for row in await _all(session, ProductCoverageTier):
        tiers[products[row.product_id].code].add(CoverageTier(row.tier))
    life = [p.code for p in products.values() if p.kind == ProductKind.LIFE]
    medical = [p.code for p in products.values() if p.kind == ProductKind.MEDICAL]
    assert all(tiers[code] == {CoverageTier.EMPLOYEE_ONLY} for code in life)
    assert all(tiers[code] == set(CoverageTier) for code in medical)
    offered = {products[o.product_id].kind for o in await _all(session, GroupAccountProduct)}
    assert {ProductKind.MEDICAL, ProductKind.DENTAL, ProductKind.LIFE} <= offered


async def test_the_book_is_mostly_approved_with_a_few_recent_changes(
    session: AsyncSession,
) -> None:
    # when
    await load_demo_book(session, families=20)
    # then
    clients = (await _clients(session)).values()
    changed = {c.code for c in clients if c.status == GroupStatus.CHANGED}
    assert changed == {"GLOBEX-FR-PAR-RD", "NORTHWIND-MEL"}
    assert all(c.status == GroupStatus.APPROVED for c in clients if c.code not in changed)
    interns = await session.scalar(
        sa.select(InsurableClass).where(col(InsurableClass.code) == "INTERN")
    )
    assert interns is not None


async def test_counts_what_it_added_and_audits_it_as_demo(session: AsyncSession) -> None:
    # when
    added = await load_demo_book(session, families=20)
    # then
    assert added["group clients"] == len(await _all(session, GroupClient))
    assert added["group accounts"] == len(await _all(session, GroupAccount))
    assert added["lines of business"] == len(await _all(session, LineOfBusiness))
    assert added["group account products"] == len(await _all(session, GroupAccountProduct))
    events = Counter(e.action for e in await _all(session, AuditEvent) if e.actor == "demo")
    assert events["groupClientCreate"] == added["group clients"]
    assert events["groupAccountCreate"] == added["group accounts"]
    assert events["insurableClassCreate"] == added["insurable classes"]
    assert events["groupAccountProductAdd"] == added["group account products"]


async def test_loading_twice_adds_and_changes_nothing(
    session: AsyncSession, statements: StatementCounter
) -> None:
    # given
    await load_demo_book(session, families=20)
    before = await _snapshot(session)
    statements.reset()
    # when
    added = await load_demo_book(session, families=20)
    # then
    writes = [s for s in statements.statements if not s.lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert set(added.values()) == {0}
    assert await _snapshot(session) == before
    assert before["audit_event"]


async def test_keeps_reference_data_that_is_already_there(session: AsyncSession) -> None:
    # given
    health = LineOfBusiness(code="HEALTH", name="Health, our own")
    session.add(health)
    await session.commit()
    # when
    added = await load_demo_book(session, families=20)
    # then
    lobs = {lob.code: lob.name for lob in await _all(session, LineOfBusiness)}
    assert lobs["HEALTH"] == "Health, our own"
    assert added["lines of business"] == len(lobs) - 1
    medical = [p for p in await _all(session, Product) if p.kind == ProductKind.MEDICAL]
    assert {p.line_of_business_id for p in medical} == {health.id}


async def test_fills_in_what_went_missing_and_approves_it_again(session: AsyncSession) -> None:
    # given the book without members (an offer members use cannot be withdrawn)
    await load_demo_book(session, families=0)
    account = await session.scalar(
        sa.select(GroupAccount).where(col(GroupAccount.code) == "GLX-FR-LYS")
    )
    assert account is not None and account.id is not None
    await remove_group_account_product(
        session,
        actor=Actor(subject="someone", scope=EVERYTHING),
        group_account_id=account.id,
        product_code="MED-TOPUP",
    )
    await session.commit()
    # when
    added = await load_demo_book(session, families=0)
    # then
    assert {kind: n for kind, n in added.items() if n} == {"group account products": 1}
    client = await session.get(GroupClient, account.group_client_id)
    assert client is not None and client.status == GroupStatus.APPROVED


async def test_leaves_requests_done_waiting_for_managers_and_overdue(
    session: AsyncSession,
) -> None:
    # when
    added = await load_demo_book(session, families=60)
    # then every request type was sent, some finished and some wait in managers' inboxes
    requests = await _all(session, WorkflowRequest)
    assert added["workflow requests"] == len(requests) > 0
    assert {r.type for r in requests} == set(RequestType)
    states = Counter(r.state for r in requests)
    assert states[RequestState.COMPLETED] and states[RequestState.PENDING_APPROVAL]
    assert RequestState.FAILED not in states
    open_tasks = [t for t in await _all(session, WorkflowTask) if t.state is TaskState.OPEN]
    assert any(t.assignee is Assignee.GROUP_MANAGER for t in open_tasks)
    # and some are overdue, so that the next sweep escalates exactly those
    overdue = [t for t in open_tasks if t.due_at < utcnow()]
    assert 0 < len(overdue) < len(open_tasks)
    assert await escalate_overdue(session) == len(overdue)
