"""`groupcover serve --workers 2` on Linux: each worker accepts on a listening socket of its own,
so connections opened together are spread over the workers, and a worker started again after
one died takes connections too. Read from /proc: which process holds which socket."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import GROUPCOVER, environment, free_port, live_database, served

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreads on Linux")

LISTEN, ESTABLISHED = "0A", "01"


def _sockets(port: int, state: str) -> set[int]:
    """The inodes of this machine's TCP sockets on the local port, in the state."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                found.add(int(fields[9]))
    return found


def _holders(inodes: set[int]) -> dict[int, int]:
    """How many of the sockets each process holds, by pid."""
    held: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:  # gone, or not ours to read
            continue
        count = sum(
            1 for link in links if link.startswith("socket:[") and int(link[8:-1]) in inodes
        )
        if count:
            held[int(entry.name)] = count
    return held


async def _two_listening(port: int, gone: int | None = None) -> dict[int, int]:
    """The processes listening on the port once two are (`served` returns when one answers;
    after a worker is killed, once its replacement is started), without the one gone."""
    for _ in range(600):
        listening = _holders(_sockets(port, LISTEN))
        if len(listening) >= 2 and gone not in listening:
            return listening
        await asyncio.sleep(0.2)
    raise AssertionError(f"not two workers listening: {listening}")


async def _connections(base: str, how_many: int) -> list[asyncio.StreamWriter]:
    """Connections opened together, each having had one answer (so each is accepted)."""
    host, port = base.split(":")
    opened = await asyncio.gather(
        *(asyncio.open_connection(host, int(port)) for _ in range(how_many))
    )
    request = f"GET /healthz HTTP/1.1\r\nHost: {base}\r\n\r\n".encode()
    for _, writer in opened:
        writer.write(request)
    for reader, _ in opened:
        assert (await asyncio.wait_for(reader.readline(), 30)).startswith(b"HTTP/1.1 200")
    return [writer for _, writer in opened]


def _closed(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()


async def test_each_worker_listens_on_its_own_socket_and_takes_connections(
    tmp_path: Path,
) -> None:
    async with (
        live_database("sqlite", tmp_path) as live,
        served(environment(live), "--workers", "2") as base,
    ):
        port = int(base.split(":")[1])
        # each worker holds a listening socket of its own; the supervisor holds none
        listening = await _two_listening(port)
        assert sorted(listening.values()) == [1, 1]
        workers = set(listening)
        # 32 connections opened at once are spread over both workers
        writers = await _connections(base, 32)
        serving = _holders(_sockets(port, ESTABLISHED))
        assert set(serving) == workers
        _closed(writers)
        # a worker that died is started again, on a socket of its own, and takes connections
        gone = min(workers)
        os.kill(gone, signal.SIGKILL)
        listening = await _two_listening(port, gone)
        assert sorted(listening.values()) == [1, 1]
        writers = await _connections(base, 32)
        assert set(_holders(_sockets(port, ESTABLISHED))) == set(listening)
        _closed(writers)


def test_an_address_already_taken_stops_the_server_with_a_message(tmp_path: Path) -> None:
    # given a port another program listens on, without SO_REUSEPORT
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        # when the server is started on it with two workers
        env = environment(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
        ended = subprocess.run(
            [GROUPCOVER, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            capture_output=True,
            timeout=120,
        )
    # then it stops with uvicorn's start-up failure, saying why, and no traceback
    stderr = ended.stderr.decode()
    assert ended.returncode == 3
    assert f"Address already in use: cannot listen on 127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr
