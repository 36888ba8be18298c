"""`groupcover serve` in production writes one JSON line per request to standard error, and no
uvicorn access line beside it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from tests.live import GROUPCOVER, ROOT, _started, environment, free_port, live_database


async def test_production_writes_one_json_line_per_request_and_no_access_log(
    tmp_path: Path,
) -> None:
    # given a production server whose standard error goes to a file
    port = free_port()
    log = tmp_path / "serve.log"
    async with live_database("sqlite", tmp_path) as live:
        env = environment(
            live, GROUPCOVER_ENV="production", GROUPCOVER_MAIL_FOLDER=str(tmp_path / "mail")
        )
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            GROUPCOVER, "serve", "--port", str(port), env=env, cwd=ROOT, stderr=err
        )
        try:
            await _started(f"http://127.0.0.1:{port}/healthz")
            # when two requests arrive, without a token
            async with httpx.AsyncClient() as http:
                for n in range(2):
                    await http.post(
                        f"http://127.0.0.1:{port}/graphql",
                        json={"query": "query Q { me { subject } }"},
                        headers={"X-Request-ID": f"r{n}"},
                    )
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 10)
    # then each is one JSON line; no other line mentions the requests
    lines = log.read_text().splitlines()
    requests = [json.loads(line) for line in lines if line.startswith("{")]
    assert [(r["request_id"], r["status"], r["outcome"]) for r in requests] == [
        ("r0", 401, "refused"),
        ("r1", 401, "refused"),
    ]
    assert not [line for line in lines if "POST /graphql" in line]
