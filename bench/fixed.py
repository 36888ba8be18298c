"""Fixed-count HTTP load and the CPU it costs, for bench.load.

`send` makes exactly `count` POST requests over `connections` kept-alive connections and waits
for every answer: no request is cut off at the end of a timed run (which biased timed wrk runs
against the slower side). An answer that is not 200, or that carries `"errors"`, counts as
failed. The client is plain asyncio streams, a few microseconds of CPU a request, so that it
takes little from the servers on a machine of two cores; its own CPU is reported beside theirs.

`cpu_seconds` reads the user and system time of processes from /proc/<pid>/stat (and
`reaped_seconds` that of the children a process saw end), and `settle` waits until they stop
using any: a run's CPU is read from idle to idle, so that work a server
does after its last answer (freeing a large answer, a pool returning connections) counts too.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Outcome:
    """What one fixed-count run measured."""

    requests: int
    seconds: float
    failed: int
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


async def send(
    port: int, body: bytes, headers: dict[str, str], *, count: int, connections: int
) -> Outcome:
    """POST `body` to 127.0.0.1:`port`/graphql `count` times, `connections` at once."""
    lines = [
        "POST /graphql HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    left = [count]
    outcome = Outcome(requests=count, seconds=0.0, failed=0)
    start = time.perf_counter()
    await asyncio.gather(*(_connection(port, request, left, outcome) for _ in range(connections)))
    outcome.seconds = time.perf_counter() - start
    return outcome


async def _connection(port: int, request: bytes, left: list[int], outcome: Outcome) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while left[0] > 0:
            left[0] -= 1
            start = time.perf_counter()
            writer.write(request)
            status, body, close = await _answer(reader)
            outcome.latencies_ms.append((time.perf_counter() - start) * 1000)
            if status != 200 or b'"errors"' in body:
                outcome.failed += 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one HTTP/1.1 answer: its status, its body (by length or chunked), and whether
    the server closes the connection after it."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    status = int(head.split(None, 2)[1])
    fields = dict(line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
    close = fields.get("connection", "").strip() == "close"
    if "content-length" in fields:
        return status, await reader.readexactly(int(fields["content-length"])), close
    chunks = []
    while size := int((await reader.readline()).strip() or b"0", 16):
        chunks.append(await reader.readexactly(size))
        await reader.readline()
    await reader.readline()  # the blank line after the last chunk
    return status, b"".join(chunks), close


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """User plus system CPU seconds of each process still running, by pid."""
    found = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return found


def reaped_seconds(pid: int) -> float:
    """CPU seconds of the process's children that ended and were waited for: PostgreSQL's
    parallel query workers and closed connections, whose own readings are gone."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[13]) + int(fields[14])) / TICK  # cutime, cstime


def parent(pid: int) -> int:
    """The process that started this one."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def children(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        tasks = Path(f"/proc/{current}/task")
        for task in tasks.iterdir() if tasks.exists() else ():
            kids = (task / "children").read_text().split()
            todo.extend(int(kid) for kid in kids)
    return found


def settle(pids: Iterable[int], *, quiet: float = 0.02, most: float = 10.0) -> None:
    """Wait until the processes use less than `quiet` CPU seconds in 0.25 s (at most `most` s)."""
    pids = list(pids)
    deadline = time.monotonic() + most
    before = sum(cpu_seconds(pids).values())
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = sum(cpu_seconds(pids).values())
        if now - before < quiet:
            return
        before = now


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
