"""A server and a worker behind PgBouncer in transaction mode, run as docs/operations.md says:
requests and jobs' work through the pooler, with psycopg's prepared statements off (PgBouncer
before 1.21 cannot carry them); the subscriptions' LISTEN and the job queue on PostgreSQL
itself (GROUPCOVER_SESSION_DATABASE_URL). A real PgBouncer (Debian's package), a few server
connections for many clients, so that transactions move between them."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from schema.core.relay import global_id
from tests.api import ws
from tests.api.test_scale_out import workers
from tests.api.test_subscription_limits import APPROVE, FOLLOW, INBOX, _pending, _people, _post
from tests.live import Live, free_port, live_database, serving

pytestmark = pytest.mark.postgresql(reason="PgBouncer pools PostgreSQL connections")

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
SERVER_CONNECTIONS = 3
POLICY = "query($id: ID!) { node(id: $id) { ... on Policy { number members { relationship } } } }"


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database("postgresql", tmp_path) as database:
        yield database


@contextmanager
def pgbouncer(url: str) -> Iterator[str]:
    """PgBouncer in transaction mode in front of the database at `url`; its URL."""
    if not os.access(PGBOUNCER, os.X_OK):
        pytest.skip("needs PgBouncer: `apt-get install pgbouncer` (.ci/run installs it)")
    target = make_url(url)
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)  # PgBouncer will not run as root: it reads this as `nobody`
    port = free_port()
    (folder / "users.txt").write_text(f'"{target.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
{target.database} = host={target.host} port={target.port or 5432} dbname={target.database}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/users.txt
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 200
"""
    )
    for written in folder.iterdir():
        written.chmod(0o644)
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    process = subprocess.Popen(
        [PGBOUNCER, *user, str(folder / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    pooled = target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    try:
        _until_it_answers(pooled, process)
        yield pooled
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _until_it_answers(url: str, process: subprocess.Popen[bytes]) -> None:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    for _ in range(100):
        if process.poll() is not None:
            raise AssertionError(f"PgBouncer stopped: {process.stderr.read()!r}")  # type: ignore[union-attr]
        try:
            psycopg.connect(conninfo, connect_timeout=1).close()
            return
        except psycopg.OperationalError:
            subprocess.run(["sleep", "0.1"], check=True)
    raise AssertionError("PgBouncer did not answer")


@asynccontextmanager
async def behind(live: Live) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The pooler's URL and the settings of a server or worker behind it."""
    with pgbouncer(live.url) as pooled:
        yield (
            pooled,
            {
                "GROUPCOVER_SESSION_DATABASE_URL": live.url,
                "GROUPCOVER_PREPARED_STATEMENTS": "false",
                # PgBouncer refuses the `options` startup parameter that carries the timeout;
                # operations.md sets it on the role instead.
                "GROUPCOVER_STATEMENT_TIMEOUT_MS": "0",
            },
        )


async def test_a_server_and_a_worker_run_behind_pgbouncer_in_transaction_mode(live: Live) -> None:
    employee, manager = _people(live)
    async with behind(live) as (pooled, settings), serving(pooled, **settings) as base:
        # the same statements sent again and again (psycopg prepares one it has sent 5 times
        # on a connection), 4 requests at a time: 4 or more client connections share the 3
        # server connections, and each transaction takes whichever is free
        policy = global_id("Policy", live.policy_id)
        for _ in range(12):
            answers = await asyncio.gather(
                *(_post(base, employee, POLICY, id=policy) for _ in range(4))
            )
            assert all(answer["node"]["members"] for answer in answers), answers[0]
        # a subscription (LISTEN on PostgreSQL itself) hears every state of a request that a
        # manager approves through the pooler and a worker completes (the queue on PostgreSQL)
        async with workers(pooled, 1, **settings):
            request_id = await _pending(live, base, employee)
            socket = await ws.acked(base, employee)
            await ws.start(socket, "1", FOLLOW, id=request_id)
            first = await ws.received(socket, 30)
            assert first["payload"]["data"]["workflowRequestUpdated"] == {
                "state": "PENDING_APPROVAL"
            }
            (edge,) = (await _post(base, manager, INBOX))["workflowTasks"]["edges"]
            await _post(base, manager, APPROVE, id=edge["node"]["id"])
            heard = []
            while "COMPLETED" not in heard:
                message = await ws.received(socket, 60)
                heard.append(message["payload"]["data"]["workflowRequestUpdated"]["state"])
            await socket.close()
