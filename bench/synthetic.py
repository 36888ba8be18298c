"""A synthetic book in PostgreSQL, written with COPY: trees of group clients, policies with
families, and settings on random levels. For benchmarks at a realistic size.

Run: .venv/bin/python -m bench.synthetic --postgres postgresql://postgres@127.0.0.1:5432/test \\
         [--database groupcover_bench] [--clients 1000] [--depth 5] [--policies 100000]
It drops and recreates the database, migrates it, loads the book, sends `--requests`
workflow requests that wait in a group manager's inbox, and prints what it wrote
and how long it took. Every group client has an account with two classes offering two
products; every policy has a subscriber, often a partner and children, and one product.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from authz.access import EVERYTHING, Actor
from authz.principal import Role
from domain.database import create_engine, session_factory
from domain.policies.limits import PolicyLimits
from domain.workflow import submit as service
from domain.workflow.models import Channel, RequestType
from migrations.runner import upgrade

NOW = datetime.now(UTC)
TODAY = NOW.date()
STAMPS = {"version": 1, "created_at": NOW, "updated_at": NOW}


def _copy(cur: psycopg.Cursor[Any], table: str, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows (dicts with the same keys) to a table with one COPY; return how many."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    columns = list(first)
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in _chain(first, iterator):
            copy.write_row([row[c] for c in columns])
            count += 1
    return count


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def _reference(cur: psycopg.Cursor[Any]) -> dict[str, Any]:
    """Lines of business, a data access group, two products with every tier, a schedule."""
    cur.execute(
        "INSERT INTO line_of_business (code, name) VALUES ('HEALTH', 'Health') RETURNING id"
    )
    lob = cur.fetchone()[0]  # type: ignore[index]
    cur.execute("INSERT INTO data_access_group (code, name) VALUES ('EU', 'Europe') RETURNING id")
    dag = cur.fetchone()[0]  # type: ignore[index]
    products = []
    for code, kind in (("MED", "MEDICAL"), ("DEN", "DENTAL")):
        cur.execute(
            "INSERT INTO product (code, name, kind, line_of_business_id) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            (code, code, kind, lob),
        )
        product = cur.fetchone()[0]  # type: ignore[index]
        products.append(product)
        for tier in ("EMPLOYEE_ONLY", "EMPLOYEE_SPOUSE", "EMPLOYEE_CHILDREN", "FAMILY"):
            cur.execute(
                "INSERT INTO product_coverage_tier (product_id, tier) VALUES (%s, %s)",
                (product, tier),
            )
    cur.execute(
        "INSERT INTO premium_schedule (code, name, currency) VALUES ('PS', 'Standard', 'EUR') "
        "RETURNING id"
    )
    schedule = cur.fetchone()[0]  # type: ignore[index]
    cur.execute("INSERT INTO broker_agent (code, name) VALUES ('BRK', 'Broker') RETURNING id")
    broker = cur.fetchone()[0]  # type: ignore[index]
    return {"lob": lob, "dag": dag, "products": products, "schedule": schedule, "broker": broker}


def _tree(clients: int, depth: int) -> list[int | None]:
    """Parent index of each client: trees of `depth` levels, filled breadth first."""
    if depth < 1:
        raise ValueError(f"a tree has at least one level, not {depth}")
    fanout = 2
    # About ten trees; a tree of one level is one client whatever the fanout: as many trees.
    while depth > 1 and sum(fanout**level for level in range(depth)) * 10 < clients:
        fanout += 1
    per_tree = sum(fanout**level for level in range(depth))
    parents: list[int | None] = []
    for i in range(clients):
        within = i % per_tree
        parents.append(None if within == 0 else i - within + (within - 1) // fanout)
    return parents


def _groups(
    cur: psycopg.Cursor[Any], ref: dict[str, Any], clients: int, depth: int
) -> dict[str, list[int]]:
    """Clients, an account each with two classes, both products offered to every class."""
    parents = _tree(clients, depth)
    own = {"line_of_business_id": ref["lob"], "data_access_group_id": ref["dag"], **STAMPS}
    _copy(
        cur,
        "group_client",
        (
            {
                "id": i + 1,
                "code": f"C{i + 1}",
                "name": f"Client {i + 1}",
                "parent_id": None if p is None else p + 1,
                "status": "APPROVED",
                **own,
            }
            for i, p in enumerate(parents)
        ),
    )
    _copy(
        cur,
        "group_account",
        (
            {"id": i, "code": f"A{i}", "name": f"Account {i}", "group_client_id": i, **own}
            for i in range(1, clients + 1)
        ),
    )
    _copy(
        cur,
        "insurable_class",
        (
            {"id": 2 * a - 1 + n, "group_account_id": a, "code": f"K{n}", "name": f"Class {n}"}
            for a in range(1, clients + 1)
            for n in range(2)
        ),
    )
    _copy(
        cur,
        "group_account_product",
        (
            {"id": 2 * a - 1 + n, "group_account_id": a, "product_id": ref["products"][n]}
            for a in range(1, clients + 1)
            for n in range(2)
        ),
    )
    return {"accounts": list(range(1, clients + 1))}


def _families(
    rng: random.Random, policies: int, accounts: Sequence[int], ref: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """Persons, policies and their dated rows, all in memory (about 1 KB a policy)."""
    rows: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "person",
            "policy",
            "policy_member",
            "policy_account_link",
            "policy_class_link",
            "enrollment_product",
        )
    }
    person_id = 0
    for policy in range(1, policies + 1):
        account = accounts[policy % len(accounts)]
        start = TODAY - timedelta(days=rng.randint(0, 700))
        family = [("SUBSCRIBER", 30 + rng.randint(0, 30))]
        if rng.random() < 0.5:
            family.append(("SPOUSE", 30 + rng.randint(0, 30)))
        family += [("CHILD", rng.randint(0, 20)) for _ in range(rng.choice((0, 1, 2)))]
        for relationship, age in family:
            person_id += 1
            born = TODAY - timedelta(days=365 * age + rng.randint(0, 364))
            rows["person"].append(_person(person_id, born))
            rows["policy_member"].append(
                {
                    "policy_id": policy,
                    "person_id": person_id,
                    "relationship": relationship,
                    "start_date": start,
                    "end_date": _child_end(born) if relationship == "CHILD" else None,
                }
            )
        subscriber = person_id - len(family) + 1
        rows["policy"].append(
            {
                "id": policy,
                "number": f"P{policy}",
                "subscriber_id": subscriber,
                "line_of_business_id": ref["lob"],
                "data_access_group_id": ref["dag"],
                "status": "ACTIVE",
                "start_date": start,
                "end_date": None,
                **STAMPS,
            }
        )
        rows["policy_account_link"].append(
            {"policy_id": policy, "group_account_id": account, "start_date": start}
        )
        rows["policy_class_link"].append(
            {"policy_id": policy, "insurable_class_id": 2 * account - 1, "start_date": start}
        )
        rows["enrollment_product"].append(
            {
                "id": policy,
                "policy_id": policy,
                "product_id": ref["products"][0],
                "coverage_tier": "FAMILY" if len(family) > 2 else "EMPLOYEE_ONLY",
                "start_date": start,
            }
        )
    return rows


def _person(person_id: int, born: date) -> dict[str, Any]:
    return {
        "id": person_id,
        "person_number": f"N{person_id}",
        "given_name": f"Given {person_id}",
        "family_name": f"Family {person_id}",
        "birth_date": born,
        "gender": "UNKNOWN",
        **STAMPS,
    }


def _child_end(born: date) -> date:
    try:
        return born.replace(year=born.year + 26) - timedelta(days=1)
    except ValueError:
        return date(born.year + 26, 2, 28)


def _settings(
    rng: random.Random, clients: int, policies: int, ref: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """About one setting in five clients, accounts and policies, on random kinds."""
    empty = dict.fromkeys(
        (
            "group_client_id",
            "group_account_id",
            "group_account_product_id",
            "policy_id",
            "enrollment_product_id",
            "premium_schedule_id",
            "broker_agent_id",
            "value_text",
            "value_decimal",
        ),
    )
    for owner, count in (("group_client_id", clients), ("group_account_id", clients)):
        for i in range(1, count + 1):
            if rng.random() < 0.2:
                yield {
                    **empty,
                    "kind": "COLLECTION_SETTING",
                    owner: i,
                    "value_text": rng.choice(("GROUP_BILLED", "DIRECT_BILLED")),
                    "created_at": NOW,
                }
            if rng.random() < 0.2:
                yield {
                    **empty,
                    "kind": "PREMIUM_SCHEDULE",
                    owner: i,
                    "premium_schedule_id": ref["schedule"],
                    "created_at": NOW,
                }
    for policy in range(1, policies + 1):
        if rng.random() < 0.05:
            yield {
                **empty,
                "kind": "BROKER_AGENT",
                "policy_id": policy,
                "broker_agent_id": ref["broker"],
                "created_at": NOW,
            }


def load(url: str, *, clients: int, depth: int, policies: int, seed: int = 7) -> dict[str, int]:
    """Write the whole book into the (migrated, empty) database at `url`."""
    rng = random.Random(seed)
    written: dict[str, int] = {}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        ref = _reference(cur)
        groups = _groups(cur, ref, clients, depth)
        written["group_client"] = clients
        for table, rows in _families(rng, policies, groups["accounts"], ref).items():
            written[table] = _copy(cur, table, rows)
        written["setting"] = _copy(cur, "setting", _settings(rng, clients, policies, ref))
        for table in (
            "group_client",
            "group_account",
            "insurable_class",
            "group_account_product",
            "person",
            "policy",
            "enrollment_product",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cur.execute("ANALYZE")
    return written


def settle(url: str) -> None:
    """VACUUM ANALYZE the fresh book, as autovacuum would have done by the time a book is
    read in production. Freshly COPYed tables have no visibility map, so every index-only
    scan reads the heap too: bench.load's tree query ran at half its rate on a book loaded a
    minute before, against one loaded an hour before (6.5 against 13 requests/s)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


INBOX_ROOT = "C1"
"""The group client whose manager's inbox the load test reads."""


async def send_requests(url: str, count: int) -> int:
    """Employees of `INBOX_ROOT`'s tree ask to end their policies, through the workflow
    services as the API would: each waits for their group manager's approval."""
    engine = create_engine(url)
    subtree = (
        "WITH RECURSIVE tree(id) AS (SELECT id FROM group_client WHERE code = :root "
        "UNION ALL SELECT c.id FROM group_client c JOIN tree ON c.parent_id = tree.id) "
        "SELECT p.id, pe.person_number FROM policy p "
        "JOIN person pe ON pe.id = p.subscriber_id "
        "JOIN policy_account_link l ON l.policy_id = p.id "
        "JOIN group_account a ON a.id = l.group_account_id "
        "WHERE a.group_client_id IN (SELECT id FROM tree) AND p.status = 'ACTIVE' "
        "ORDER BY p.id LIMIT :count"
    )
    end = (TODAY + timedelta(days=30)).isoformat()
    sent = 0
    try:
        async with session_factory(engine)() as session:
            found = await session.execute(sa.text(subtree), {"root": INBOX_ROOT, "count": count})
            for policy_id, person_number in found.all():
                await service.submit(
                    session,
                    actor=Actor(f"employee-{person_number}", EVERYTHING),
                    roles=frozenset({Role.EMPLOYEE}),
                    limits=PolicyLimits(),
                    submission=service.Submission(
                        RequestType.TERMINATION,
                        Channel.EMPLOYEE,
                        {"policy_id": policy_id, "end_date": end},
                    ),
                )
                await session.commit()
                sent += 1
    finally:
        await engine.dispose()
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--database", default="groupcover_bench")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--policies", type=int, default=100_000)
    parser.add_argument(
        "--requests", type=int, default=500, help=f"open requests in {INBOX_ROOT}'s inbox"
    )
    args = parser.parse_args()
    base = make_url(args.postgres).set(drivername="postgresql")
    admin = base.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    target = base.set(database=args.database)
    upgrade(target.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    started = time.perf_counter()
    written = load(
        target.render_as_string(hide_password=False),
        clients=args.clients,
        depth=args.depth,
        policies=args.policies,
    )
    sa_target = target.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    written["workflow_request"] = asyncio.run(send_requests(sa_target, args.requests))
    settle(target.render_as_string(hide_password=False))
    took = time.perf_counter() - started
    print(", ".join(f"{n} {table}" for table, n in written.items()))
    print(f"loaded in {took:.1f} s into {target.render_as_string(hide_password=False)}")


if __name__ == "__main__":
    main()
