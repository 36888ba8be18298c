"""The package as a user installs it, not the editable checkout the other tests import: built as
a wheel, installed into a fresh virtualenv, run from an empty folder. Files the code reads at run
time (process definitions, the casbin model, alembic's template) must be in the wheel.

Slow (about a minute and a half on a busy machine: the build, then the demo book); it runs on
SQLite only, since what it checks does not depend on the database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "authz", "domain", "migrations", "schema")
SECRET = "package-test-" + "p" * 40
FIRST_POLICY = "{ policies(first: 1) { edges { node { id } } } }"
SUBMIT = """
mutation($input: WorkflowRequestSubmitInput!) {
  workflowRequestSubmit(input: $input) { request { id state } errors { field message } }
}
"""
STATE = "query($id: ID!) { node(id: $id) { ... on WorkflowRequest { state result } } }"


def _run(*command: str | Path, **options: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=600, **options
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def groupcover(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `groupcover` script of the wheel, installed (not editable) into a new virtualenv."""
    here = tmp_path_factory.mktemp("package")
    source = here / "source"
    # A copy, so that the build's own folders (build/, *.egg-info) never land in the checkout.
    for name in PACKAGES:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", here, source)
    (wheel,) = here.glob("groupcover-*.whl")
    venv = here / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "-q",
        wheel,
        env=clean,
    )
    # The dependencies are this environment's: reused, not downloaded again. Added after the
    # install, so that pip saw no groupcover there; a path a .pth file adds is not a site
    # folder, so the editable install's own .pth files in it stay inert.
    site = _run(python, "-c", "import site; print(site.getsitepackages()[0])", env=clean)
    Path(site.stdout.strip(), "dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    return venv / "bin" / "groupcover"


@pytest.fixture
def workdir(tmp_path: Path) -> dict[str, str]:
    """An empty folder and an environment in which nothing points at the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROUPCOVER_", "PYTHON"))}
    env |= {
        "GROUPCOVER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'groupcover.db'}",
        "GROUPCOVER_SECRET_KEY": SECRET,
    }
    return env


def test_the_installed_code_is_the_wheels(groupcover: Path, tmp_path: Path) -> None:
    # when
    found = _run(
        groupcover.parent / "python",
        "-c",
        "import domain.workflow.engine as e; print(e.__file__)",
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    # then
    assert Path(found.stdout.strip()).is_relative_to(groupcover.parents[1])


def test_the_installed_package_migrates_loads_the_demo_and_runs_a_request_to_its_end(
    groupcover: Path, workdir: dict[str, str], tmp_path: Path
) -> None:
    # given a database migrated and loaded by the installed command
    _run(groupcover, "migrate", cwd=tmp_path, env=workdir)
    demo = _run(groupcover, "demo", cwd=tmp_path, env=workdir)
    assert "workflow requests" in demo.stdout
    token = _run(
        groupcover, "token", "--subject", "pkg", "--role", "admin", cwd=tmp_path, env=workdir
    )
    # when a certificate is asked for through the installed server
    with _serving(groupcover, tmp_path, workdir) as client:
        client.headers["Authorization"] = f"Bearer {token.stdout.strip()}"
        policy = _data(client, FIRST_POLICY)["policies"]["edges"][0]["node"]["id"]
        sent = _data(
            client,
            SUBMIT,
            {"input": {"type": "CERTIFICATE", "channel": "BACK_OFFICE", "policyId": policy}},
        )["workflowRequestSubmit"]
        assert sent["errors"] == [], sent
        done = _until_final(client, sent["request"]["id"])
    # then the server ran its steps to the end
    assert done["state"] == "COMPLETED", done
    assert done["result"]


class _serving:
    """`groupcover serve` on a free port, and an HTTP client of it, until the block ends."""

    def __init__(self, groupcover: Path, cwd: Path, env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.command = [str(groupcover), "serve", "--port", str(self.port)]
        self.cwd, self.env = cwd, env

    def __enter__(self) -> httpx.Client:
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL
        )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.client.get("/healthz").status_code == 200:
                    return self.client
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the installed server did not start")

    def __exit__(self, *_exc: object) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def _data(client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = client.post("/graphql", json={"query": query, "variables": variables or {}}).json()
    assert "errors" not in body, body
    return body["data"]


def _until_final(client: httpx.Client, request_id: str) -> dict[str, Any]:
    """The request once it has stopped moving (its steps run after the answer was sent)."""
    deadline = time.monotonic() + 60
    while True:
        request: dict[str, Any] = _data(client, STATE, {"id": request_id})["node"]
        if request["state"] in ("COMPLETED", "REJECTED", "FAILED") or time.monotonic() > deadline:
            return request
        time.sleep(0.2)
