"""Settings from the environment: production needs a key, development makes one and keeps it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
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


OIDC = {
    "GROUPCOVER_SECRET_KEY": KEY,
    "GROUPCOVER_OIDC_ISSUER": "https://login.acme.example/realms/acme",
    "GROUPCOVER_OIDC_AUDIENCE": "groupcover-api",
    "GROUPCOVER_OIDC_JWKS_URL": "https://login.acme.example/realms/acme/certs",
}


def test_single_sign_on_is_off_unless_an_identity_provider_is_given(workdir: Path) -> None:
    # when / then
    assert load_settings({"GROUPCOVER_SECRET_KEY": KEY}).oidc is None


def test_an_identity_provider_reads_our_claim_names_unless_told_others(workdir: Path) -> None:
    # when
    default = load_settings(OIDC).oidc
    renamed = load_settings(
        {**OIDC, "GROUPCOVER_OIDC_CLAIMS": " roles = realm_access.roles, person=employee_no "}
    ).oidc
    # then
    assert default is not None and renamed is not None
    assert default.issuer == "https://login.acme.example/realms/acme"
    assert (default.audience, default.jwks_url) == (
        "groupcover-api",
        OIDC["GROUPCOVER_OIDC_JWKS_URL"],
    )
    assert dict(default.claims) == {n: n for n in ("roles", "groups", "dags", "lobs", "person")}
    assert dict(renamed.claims) == {
        "roles": "realm_access.roles",
        "groups": "groups",
        "dags": "dags",
        "lobs": "lobs",
        "person": "employee_no",
    }


@pytest.mark.parametrize(
    ("more", "says"),
    [
        pytest.param(
            {"GROUPCOVER_OIDC_AUDIENCE": ""},
            "Single sign-on needs GROUPCOVER_OIDC_AUDIENCE as well.",
            id="no audience",
        ),
        pytest.param(
            {"GROUPCOVER_OIDC_JWKS_URL": " ", "GROUPCOVER_OIDC_ISSUER": ""},
            "needs GROUPCOVER_OIDC_ISSUER, GROUPCOVER_OIDC_JWKS_URL as well.",
            id="audience alone",
        ),
        pytest.param(
            {"GROUPCOVER_OIDC_JWKS_URL": "http://login.acme.example/certs"},
            "GROUPCOVER_OIDC_JWKS_URL must be an https:// URL (http:// only on localhost)",
            id="jwks over plain http",
        ),
        pytest.param(
            {"GROUPCOVER_OIDC_JWKS_URL": "file:///etc/keys.json"},
            "GROUPCOVER_OIDC_JWKS_URL must be an https:// URL",
            id="jwks from a file",
        ),
        pytest.param(
            {"GROUPCOVER_OIDC_ISSUER": "groupcover"},
            "must not be 'groupcover', our own issuer",
            id="our own issuer",
        ),
        pytest.param(
            {"GROUPCOVER_OIDC_CLAIMS": "role=realm_roles"},
            "GROUPCOVER_OIDC_CLAIMS must be pairs such as roles=realm_roles,groups=grp, each of "
            "roles, groups, dags, lobs, person at most once, not 'role=realm_roles'.",
            id="unknown claim",
        ),
        pytest.param({"GROUPCOVER_OIDC_CLAIMS": "roles"}, "not 'roles'.", id="no provider claim"),
        pytest.param(
            {"GROUPCOVER_OIDC_CLAIMS": "roles= "}, "not 'roles='.", id="empty provider claim"
        ),
        pytest.param({"GROUPCOVER_OIDC_CLAIMS": "roles=a,roles=b"}, "not 'roles=b'.", id="twice"),
    ],
)
def test_an_incomplete_or_unsafe_identity_provider_is_refused(
    workdir: Path, more: dict[str, str], says: str
) -> None:
    # when / then
    with pytest.raises(SettingsError) as error:
        load_settings({**OIDC, **more})
    assert says in str(error.value)


def test_a_claim_mapping_without_an_identity_provider_is_refused(workdir: Path) -> None:
    # when / then
    with pytest.raises(SettingsError, match="GROUPCOVER_OIDC_CLAIMS needs GROUPCOVER_OIDC_ISSUER"):
        load_settings({"GROUPCOVER_SECRET_KEY": KEY, "GROUPCOVER_OIDC_CLAIMS": "roles=r"})


def test_a_loopback_jwks_may_be_served_over_http(workdir: Path) -> None:
    # when
    oidc = load_settings({**OIDC, "GROUPCOVER_OIDC_JWKS_URL": "http://127.0.0.1:8080/certs"}).oidc
    # then
    assert oidc is not None and oidc.jwks_url == "http://127.0.0.1:8080/certs"


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


@pytest.mark.parametrize(("given", "size"), [(None, 16), ("32", 32)])
def test_a_server_keeps_as_many_database_connections_as_it_runs_requests_at_once(
    workdir: Path, given: str | None, size: int
) -> None:
    # given the pool size set, or not
    environ = {"GROUPCOVER_DATABASE_URL": "postgresql+psycopg://db.invalid/groupcover"}
    if given is not None:
        environ["GROUPCOVER_POOL_SIZE"] = given
    # when the server's engine is made (it connects only when asked)
    settings = load_settings(environ)
    app = create_app(settings)
    # then its pool keeps that many connections
    assert settings.pool_size == size
    assert app.state.engine.pool.size() == size


@pytest.mark.parametrize("given", ["0", "-1", "many"])
def test_a_pool_of_no_connections_is_refused(workdir: Path, given: str) -> None:
    with pytest.raises(SettingsError, match="GROUPCOVER_POOL_SIZE"):
        load_settings({"GROUPCOVER_POOL_SIZE": given})


def test_what_needs_a_session_of_its_own_uses_the_database_url_unless_told(
    workdir: Path,
) -> None:
    pooled = "postgresql+psycopg://groupcover@pgbouncer:6432/groupcover"
    direct = "postgresql+psycopg://groupcover@db:5432/groupcover"
    # when / then
    alone = load_settings({"GROUPCOVER_DATABASE_URL": pooled})
    assert (alone.listen_url, alone.prepared_statements) == (pooled, True)
    behind = load_settings(
        {
            "GROUPCOVER_DATABASE_URL": pooled,
            "GROUPCOVER_SESSION_DATABASE_URL": direct,
            "GROUPCOVER_PREPARED_STATEMENTS": "false",
        }
    )
    assert (behind.database_url, behind.listen_url, behind.prepared_statements) == (
        pooled,
        direct,
        False,
    )


@pytest.mark.parametrize(
    ("database", "session"),
    [
        ("sqlite+aiosqlite:///groupcover.db", "postgresql+psycopg://db/groupcover"),
        ("postgresql+psycopg://pgbouncer/groupcover", "sqlite+aiosqlite:///other.db"),
    ],
)
def test_a_session_database_url_beside_anything_but_postgresql_is_refused(
    workdir: Path, database: str, session: str
) -> None:
    environ = {"GROUPCOVER_DATABASE_URL": database, "GROUPCOVER_SESSION_DATABASE_URL": session}
    with pytest.raises(SettingsError, match="GROUPCOVER_SESSION_DATABASE_URL"):
        load_settings(environ)
