"""Settings from the environment: production needs a key, development makes one and keeps it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import DEFAULT_DATABASE_URL, SECRET_FILE, SettingsError, load_settings

KEY = "k" * 48
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, where a development key would be written."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_production_without_a_key_is_refused(workdir: Path) -> None:
    # when / then
    with pytest.raises(SettingsError, match="GROUPCOVER_SECRET_KEY must be set in production"):
        load_settings({"GROUPCOVER_ENV": "production"})
    assert not (workdir / SECRET_FILE).exists(), "production must never generate a key"


def test_production_with_a_key_uses_it(workdir: Path) -> None:
    # when
    settings = load_settings({"GROUPCOVER_ENV": "production", "GROUPCOVER_SECRET_KEY": KEY})
    # then
    assert settings.production
    assert settings.secret_key == KEY
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///groupcover.db"
    assert not (workdir / SECRET_FILE).exists()


def test_development_generates_a_key_once_and_keeps_it(workdir: Path) -> None:
    # when
    first = load_settings({})
    second = load_settings({"GROUPCOVER_ENV": "development"})
    # then
    assert not first.production
    assert first.env == "development"
    assert len(first.secret_key) >= 32
    assert second.secret_key == first.secret_key
    kept = workdir / SECRET_FILE
    assert kept.read_text().strip() == first.secret_key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600, "only its owner may read the key"


def test_each_development_folder_gets_its_own_key(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    here = load_settings({}).secret_key
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # when
    there = load_settings({}).secret_key
    # then
    assert there != here


def test_development_prefers_a_given_key_and_writes_none(workdir: Path) -> None:
    # when
    settings = load_settings({"GROUPCOVER_SECRET_KEY": KEY})
    # then
    assert settings.secret_key == KEY
    assert not (workdir / SECRET_FILE).exists()


def test_the_database_url_comes_from_the_environment(workdir: Path) -> None:
    # given
    url = "postgresql+psycopg://groupcover@db.internal:5432/groupcover"
    # when
    settings = load_settings({"GROUPCOVER_SECRET_KEY": KEY, "GROUPCOVER_DATABASE_URL": url})
    # then
    assert settings.database_url == url


@pytest.mark.parametrize("env", ["staging", "prod", "Production", ""])
def test_an_unknown_environment_is_refused(workdir: Path, env: str) -> None:
    # when / then
    with pytest.raises(SettingsError, match="GROUPCOVER_ENV must be 'development' or 'production'"):
        load_settings({"GROUPCOVER_ENV": env, "GROUPCOVER_SECRET_KEY": KEY})


@pytest.mark.parametrize("env", ["development", "production"])
def test_a_key_too_short_for_hs256_is_refused(workdir: Path, env: str) -> None:
    # when / then
    with pytest.raises(SettingsError, match="GROUPCOVER_SECRET_KEY must hold a key of at least 32"):
        load_settings({"GROUPCOVER_ENV": env, "GROUPCOVER_SECRET_KEY": "changeme"})


def test_an_emptied_development_key_file_is_refused_not_used(workdir: Path) -> None:
    # given
    (workdir / SECRET_FILE).write_text("\n")
    # when / then
    with pytest.raises(SettingsError, match=r"\.groupcover-secret must hold a key"):
        load_settings({})


def test_serve_in_production_without_a_key_exits_before_starting(tmp_path: Path) -> None:
    # given: no GROUPCOVER_* variable but the mode
    env = {name: value for name, value in os.environ.items() if not name.startswith("GROUPCOVER_")}
    env |= {"GROUPCOVER_ENV": "production", "PYTHONPATH": str(REPO)}
    # when
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from api.cli import main; main(sys.argv[1:])",
            "serve",
            "--port",
            "0",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # then
    assert finished.returncode != 0
    assert "groupcover: GROUPCOVER_SECRET_KEY must be set in production." in finished.stderr
    assert "Traceback" not in finished.stderr
    assert "Uvicorn running" not in finished.stderr + finished.stdout
    assert not (tmp_path / SECRET_FILE).exists()


@pytest.mark.parametrize(
    ("given", "only"), [(None, False), ("false", False), ("true", True), (" TRUE ", True)]
)
def test_trusted_documents_only_is_a_flag_off_by_default(
    workdir: Path, given: str | None, only: bool
) -> None:
    # given
    environ = {"GROUPCOVER_SECRET_KEY": KEY}
    if given is not None:
        environ["GROUPCOVER_TRUSTED_DOCUMENTS_ONLY"] = given
    # when / then
    assert load_settings(environ).trusted_documents_only is only


@pytest.mark.parametrize("given", ["yes", "1", "on", "ture"])
def test_trusted_documents_only_refuses_anything_but_true_or_false(
    workdir: Path, given: str
) -> None:
    # when / then
    with pytest.raises(SettingsError, match="GROUPCOVER_TRUSTED_DOCUMENTS_ONLY must be 'true' or"):
        load_settings({"GROUPCOVER_SECRET_KEY": KEY, "GROUPCOVER_TRUSTED_DOCUMENTS_ONLY": given})
