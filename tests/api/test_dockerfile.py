"""The image's start command and health check, run as Docker would run them (without Docker):
both follow `PORT`, so the health check watches the port the server listens on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _exec_form(instruction: str) -> list[str]:
    """The JSON argument list of the image's last `CMD` after `instruction` ('' or HEALTHCHECK)."""
    joined = DOCKERFILE.replace("\\\n", " ")
    pattern = rf"^{instruction}.*?CMD (\[.*\])$" if instruction else r"^CMD (\[.*\])$"
    return list(json.loads(re.findall(pattern, joined, re.MULTILINE)[-1]))


def test_the_health_check_follows_the_port_the_server_listens_on(tmp_path: Path) -> None:
    # given the image's environment, with another port than the default
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GROUPCOVER_ENV": "production",
        "GROUPCOVER_SMTP_URL": "smtp://mail.example",
        "GROUPCOVER_SECRET_KEY": "docker-test-" + "d" * 40,
        "GROUPCOVER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'groupcover.db'}",
        "PORT": str(port),
    }
    check = _exec_form("HEALTHCHECK")
    # when the image's command starts
    server = subprocess.Popen(
        _exec_form(""), cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        healthy = False
        deadline = time.monotonic() + 90
        while not healthy and time.monotonic() < deadline and server.poll() is None:
            healthy = subprocess.run(check, env=env, capture_output=True).returncode == 0
            time.sleep(0.3)
        # then the server listens on that port, and the health check finds it there
        assert healthy, "the health check never passed"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            assert answer.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    # and fails once nothing listens there; unless told, the image listens on 8000
    assert subprocess.run(check, env=env, capture_output=True).returncode != 0
    assert re.search(r"^\s+PORT=8000$", DOCKERFILE, re.MULTILINE)
