"""What a connection may hold of a live server: a request head must arrive whole within the
header timeout and within GROUPCOVER_MAX_HEADER_BYTES, and one process holds at most
GROUPCOVER_MAX_CONNECTIONS at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.live import environment, live_database, served

PARTIAL_HEAD = b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
MAX_HEAD = 2048


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[str]:
    """`groupcover serve` that waits 1 s for a request head of at most 2,048 bytes and holds
    4 connections."""
    async with live_database("sqlite", tmp_path) as live:
        env = environment(
            live,
            GROUPCOVER_HEADER_TIMEOUT_SECONDS="1",
            GROUPCOVER_MAX_CONNECTIONS="4",
            GROUPCOVER_MAX_HEADER_BYTES=str(MAX_HEAD),
        )
        async with served(env) as base:
            yield base


async def _open(base: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = base.split(":")
    return await asyncio.open_connection(host, int(port))


async def _seconds_until_closed(reader: asyncio.StreamReader) -> float:
    """How long until the server closes the connection (reads nothing else meanwhile)."""
    started = time.monotonic()
    assert await asyncio.wait_for(reader.read(), 10) == b""
    return time.monotonic() - started


async def test_a_connection_that_sends_part_of_its_head_is_closed_after_the_timeout(
    server: str,
) -> None:
    # given a connection that sent part of a request head and then nothing
    reader, writer = await _open(server)
    writer.write(PARTIAL_HEAD)
    await writer.drain()
    # when it waits
    waited = await _seconds_until_closed(reader)
    # then the server closed it after about the timeout
    assert 0.5 <= waited <= 4
    writer.close()


async def test_a_head_sent_a_byte_at_a_time_does_not_keep_the_connection(server: str) -> None:
    # given a connection that sends a byte of its head every 0.2 s
    reader, writer = await _open(server)
    started = time.monotonic()

    async def drip() -> None:
        for byte in PARTIAL_HEAD:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.2)

    dripping = asyncio.create_task(drip())
    # when the server closes it
    await asyncio.wait_for(reader.read(), 10)
    # then it did so long before the head could have been whole
    assert time.monotonic() - started <= 4
    dripping.cancel()
    writer.close()


async def test_a_head_larger_than_the_bound_gets_400_and_the_connection_is_closed(
    server: str,
) -> None:
    # given a connection that sends more of a head than the bound, a few bytes at a time
    reader, writer = await _open(server)
    head = PARTIAL_HEAD + b"X-Padding: " + b"p" * MAX_HEAD
    for start in range(0, len(head), 500):
        writer.write(head[start : start + 500])
        await writer.drain()
    # when the server answers
    answer = await asyncio.wait_for(reader.read(), 10)
    # then with 400, and it closed the connection (read() returned at its end)
    assert answer.startswith(b"HTTP/1.1 400 ")
    writer.close()


async def test_heads_and_bodies_within_the_bound_are_served_on_one_connection(
    server: str,
) -> None:
    # given heads just under the bound, and a body larger than it, on one kept-alive connection
    padding = {"X-Padding": "p" * (MAX_HEAD - 300)}
    body = b'{"query": "{ __typename }", "padding": "' + b"p" * 4 * MAX_HEAD + b'"}'
    async with httpx.AsyncClient() as http:
        # when it sends them one after another
        first = await http.get(f"http://{server}/healthz", headers=padding)
        second = await http.post(
            f"http://{server}/graphql",
            content=body,
            headers={**padding, "Content-Type": "application/json"},
        )
        third = await http.get(f"http://{server}/healthz", headers=padding)
    # then each was served (the post is refused for its missing token, not its size)
    assert (first.status_code, second.status_code, third.status_code) == (200, 401, 200)


async def test_a_kept_alive_connection_serves_requests_sent_in_time(server: str) -> None:
    # given
    async with httpx.AsyncClient() as http:
        # when one connection sends two requests 0.5 s apart
        first = await http.get(f"http://{server}/healthz")
        await asyncio.sleep(0.5)
        second = await http.get(f"http://{server}/healthz")
    # then
    assert (first.status_code, second.status_code) == (200, 200)


async def test_past_the_connection_cap_requests_get_503_until_connections_close(
    server: str,
) -> None:
    # given four connections holding part of a head each (the cap)
    held = [await _open(server) for _ in range(4)]
    for _reader, writer in held:
        writer.write(PARTIAL_HEAD)
        await writer.drain()
    async with httpx.AsyncClient() as http:
        # when another client asks, and asks again once the held ones timed out
        during = await http.get(f"http://{server}/healthz")
        for reader, _writer in held:
            await _seconds_until_closed(reader)
        after = await http.get(f"http://{server}/healthz")
    # then the first was refused at once, and the second answered
    assert during.status_code == 503
    assert after.status_code == 200
