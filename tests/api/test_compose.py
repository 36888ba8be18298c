"""compose.yaml, checked for what can be checked without pulling images: it parses, every
groupcover command in it is one the program accepts, its settings load, migrations run once
before servers and workers, and the proxy sends requests to both API processes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from api.cli import parser
from api.settings import load_settings, require_mail_server

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
CADDYFILE = (ROOT / "deploy" / "Caddyfile").read_text()


def _of(command: str) -> list[str]:
    return [name for name, s in SERVICES.items() if s.get("command", [None, None])[1] == command]


def test_it_runs_postgresql_two_servers_two_workers_and_a_proxy() -> None:
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert len(_of("serve")) == 2
    assert len(_of("worker")) == 2
    assert _of("migrate") == ["migrate"]
    assert SERVICES["proxy"]["image"].startswith("caddy:")


def test_every_command_is_one_groupcover_accepts() -> None:
    for name, service in SERVICES.items():
        command = service.get("command")
        if command and command[0] == "groupcover":
            assert parser().parse_args(command[1:]).run, name


def test_migrations_run_once_before_any_server_or_worker() -> None:
    for name in _of("serve") + _of("worker"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


# What an operator gives for each variable compose asks for (`${NAME:?...}`); others: a key.
GIVEN = {"GROUPCOVER_SMTP_URL": "smtps://groupcover:secret@mail.example"}


def test_the_settings_given_load_as_production() -> None:
    for name in _of("serve") + _of("worker") + _of("migrate"):
        given = {
            key: re.sub(
                r"\$\{([A-Z_]+):\?[^}]*\}",
                lambda asked: GIVEN.get(asked.group(1), "x" * 48),
                str(value),
            )
            for key, value in SERVICES[name]["environment"].items()
        }
        settings = load_settings(given)
        assert settings.production
        assert settings.database_url.startswith("postgresql+psycopg://")
        assert settings.metrics.mode == "port"
        require_mail_server(settings)  # mail goes to a server, not a folder


def test_only_the_proxy_publishes_a_port_and_it_reaches_both_servers() -> None:
    published = [name for name, service in SERVICES.items() if service.get("ports")]
    assert published == ["proxy"]
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", CADDYFILE)
    assert upstreams is not None
    ports = {SERVICES[name]["command"][-3] for name in _of("serve")}
    assert sorted(upstreams.group(1).split()) == sorted(
        f"{name}:{p}" for name in _of("serve") for p in ports
    )
    assert "/metrics" not in CADDYFILE.split("@api", 1)[1].split("\n", 1)[0]
