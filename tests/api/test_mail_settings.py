"""Mail and document retention settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from api.settings import SettingsError, load_settings, require_mail_server
from domain.documents.models import DocumentKind
from domain.mail.transports import FolderTransport, SmtpTransport, transport_for

KEY = {"GROUPCOVER_SECRET_KEY": "k" * 48}
PRODUCTION = {**KEY, "GROUPCOVER_ENV": "production"}


def test_without_an_smtp_url_mail_goes_to_a_folder() -> None:
    settings = load_settings({**KEY, "GROUPCOVER_MAIL_FOLDER": "/tmp/out"})
    transport = transport_for(settings.mail.smtp_url, settings.mail.folder)
    assert isinstance(transport, FolderTransport) and transport.folder == Path("/tmp/out")


def test_production_without_an_smtp_url_is_refused_naming_the_setting() -> None:
    # given production settings with neither a mail server nor a chosen folder
    settings = load_settings(PRODUCTION)
    # when / then
    with pytest.raises(SettingsError, match="GROUPCOVER_SMTP_URL must be set in production"):
        require_mail_server(settings)


@pytest.mark.parametrize(
    "given",
    [
        PRODUCTION | {"GROUPCOVER_SMTP_URL": "smtp://mail.example"},
        PRODUCTION | {"GROUPCOVER_MAIL_FOLDER": "/var/spool/groupcover"},
        KEY,
    ],
    ids=["production-smtp", "production-chosen-folder", "development"],
)
def test_a_mail_server_or_a_chosen_folder_or_development_may_send(given: dict[str, str]) -> None:
    require_mail_server(load_settings(given))


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_in_production_without_an_smtp_url_do_not_start(
    command: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given production settings without a mail server, and a server that would start
    monkeypatch.chdir(tmp_path)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    for name in ("GROUPCOVER_SMTP_URL", "GROUPCOVER_MAIL_FOLDER"):
        monkeypatch.delenv(name, raising=False)
    started: list[str] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: started.append("serve"))
    # when
    with pytest.raises(SystemExit) as exit_:
        main([command])
    # then it ends with the message, before serving or working
    assert "GROUPCOVER_SMTP_URL must be set in production" in str(exit_.value.code)
    assert started == []
    assert not (tmp_path / "mail-outbox").exists()


def test_an_smtps_url_gives_its_user_password_and_port() -> None:
    url = "smtps://coach%40insurer:p%3Ass@mail.example:2465"
    settings = load_settings({**KEY, "GROUPCOVER_SMTP_URL": url, "GROUPCOVER_MAIL_FROM": "c@i.ex"})
    transport = transport_for(settings.mail.smtp_url, settings.mail.folder)
    assert isinstance(transport, SmtpTransport)
    assert (transport.secure, transport.host, transport.port) == (True, "mail.example", 2465)
    assert (transport.user, transport.password) == ("coach@insurer", "p:ss")
    assert settings.mail.sender == "c@i.ex"


@pytest.mark.parametrize("url", ["http://mail.example", "mail.example:25", "smtp+tls://x"])
def test_an_smtp_url_of_another_scheme_is_refused(url: str) -> None:
    with pytest.raises(SettingsError, match="GROUPCOVER_SMTP_URL"):
        load_settings({**KEY, "GROUPCOVER_SMTP_URL": url})


def test_retention_is_set_per_kind() -> None:
    settings = load_settings({**KEY, "GROUPCOVER_RETENTION_DAYS_ID_CARD": "30"})
    assert settings.retention.days[DocumentKind.ID_CARD] == 30
    assert settings.retention.days[DocumentKind.LETTER] == 3653
    with pytest.raises(SettingsError, match="GROUPCOVER_RETENTION_DAYS_LETTER"):
        load_settings({**KEY, "GROUPCOVER_RETENTION_DAYS_LETTER": "0"})
