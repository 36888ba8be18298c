"""The README's "A first production setup", run as written: from an empty database to a first
group client, with the server and a worker running (a fresh database per backend)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, _postgres_database
from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
README_URL = "postgresql+psycopg://groupcover@db.internal:5432/groupcover"


def section_commands() -> str:
    """Every `sh` block of the README's section, in order, as one script."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A first production setup\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL))


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: not even migrated."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    yield from _postgres_database()


def test_the_readme_takes_an_empty_database_to_a_first_group_client(fresh_url: str) -> None:
    # given the section's commands, on this test's database and port, served on loopback
    port = str(free_port())
    script = (
        section_commands()
        .replace(README_URL, fresh_url)
        .replace("--host 0.0.0.0 --port 8000", f"--host 127.0.0.1 --port {port}")
        .replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    )
    assert script.count(port) == 3, script
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GROUPCOVER_")}
    env = {**clean, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{clean['PATH']}"}
    # when
    done = subprocess.run(
        ["bash", "-c", f"set -eu\n{script}\nkill $(jobs -p)\nwait\n"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    # then
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "Database is at the latest migration." in out
    assert (
        "docs/reference.example.yaml: 2 lines of business, 2 data access groups, 3 products, "
        "2 product parameters added." in out
    )
    assert (
        '{"data":{"groupClientCreate":{"groupClient":{"code":"ACME","status":"CHANGED"},'
        '"errors":[]}}}' in out
    )
    if fresh_url.startswith("postgresql"):
        assert "groupcover worker started" in done.stderr
