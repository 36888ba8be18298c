"""A database of a test's own whose commits are real, for what a shared transaction hides:
races, crashes, other processes (a worker, a server) and what they tell each other."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.database import create_engine, session_factory
from domain.policies.models import Person
from migrations.runner import upgrade
from tests.conftest import POSTGRES_URL, _postgres_database
from tests.factories import Book, families, place

BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@dataclass
class Live:
    """A migrated database with ACME and one family's policy, committed."""

    url: str
    sessions: async_sessionmaker[AsyncSession]
    policy_id: int
    account_id: int
    class_id: int
    holder_number: str


@asynccontextmanager
async def live_database(backend: str, folder: Path) -> AsyncIterator[Live]:
    urls = (
        iter([f"sqlite+aiosqlite:///{folder / 'live.db'}"])
        if backend == "sqlite"
        else _postgres_database()
    )
    for url in urls:
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        try:
            async with sessions() as session:
                book = await Book(session).setup()
                acme = await place(book)
                (policy,) = await families(book, acme, 1, since=date(2024, 1, 1))
                holder = await session.get_one(Person, policy.subscriber_id)
                await session.commit()
                yield Live(
                    url,
                    sessions,
                    policy.id,  # type: ignore[arg-type]
                    acme.account.id,  # type: ignore[arg-type]
                    acme.staff.id,  # type: ignore[arg-type]
                    holder.person_number,
                )
        finally:
            await engine.dispose()


ROOT = Path(__file__).resolve().parents[1]
GROUPCOVER = str(Path(sys.executable).parent / "groupcover")
SECRET = "live-secret-" + "k" * 40


def environment(live: Live | str, **more: str) -> dict[str, str]:
    """What a `groupcover` process needs to run on the live database (or the one at a URL)."""
    return {
        **os.environ,
        "GROUPCOVER_DATABASE_URL": live if isinstance(live, str) else live.url,
        "GROUPCOVER_SECRET_KEY": SECRET,
        **more,
    }


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(live: Live | str, **more: str) -> AsyncIterator[str]:
    """`groupcover serve` on the live database, as in production but for the mode (and `more`
    settings); its address, `127.0.0.1:<port>`, once it answers."""
    async with served(environment(live, **more)) as base:
        yield base


async def groupcover(live: Live, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run the `groupcover` command to its end, as another process on the live database."""
    return await asyncio.to_thread(
        subprocess.run,
        [GROUPCOVER, *args],
        env=environment(live, **env),
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )


@asynccontextmanager
async def served(env: dict[str, str], *options: str) -> AsyncIterator[str]:
    """`groupcover serve` in this environment on a free port, for the block; its address."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        GROUPCOVER,
        "serve",
        "--port",
        str(port),
        *options,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"127.0.0.1:{port}"
    try:
        await _started(f"http://{base}/healthz")
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def _started(health: str) -> None:
    # Two minutes: starting imports the whole app, which has taken 10 s on a busy machine,
    # and two worker processes at a load of 8 on 2 cores took more than one minute.
    deadline = asyncio.get_running_loop().time() + 120
    async with httpx.AsyncClient() as http:
        while asyncio.get_running_loop().time() < deadline:
            try:
                if (await http.get(health)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not start")


def _admin_conninfo() -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)


def cut_connections(url: str) -> int:
    """End every session on this PostgreSQL database (as a restart would); return how many."""
    name = make_url(url).database
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        ended = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
    return int(ended[0]) if ended else 0


@contextmanager
def unreachable(url: str) -> Iterator[None]:
    """For the block, this PostgreSQL database takes no connections and has none open."""
    name = make_url(url).database
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        cut_connections(url)
        yield
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
