"""What a connection may hold of a live server: a request head must arrive whole within the
header timeout, and one process holds at most GROUPCOVER_MAX_CONNECTIONS at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.live import environment, live_database, served

PARTIAL_HEAD = b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[str]:
    """`groupcover serve` that waits 1 s for a request head and holds 4 connections."""
    async with live_database("sqlite", tmp_path) as live:
        env = environment(
            live, GROUPCOVER_HEADER_TIMEOUT_SECONDS="1", GROUPCOVER_MAX_CONNECTIONS="4"
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
