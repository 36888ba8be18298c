"""Mail and document retention settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import SettingsError, load_settings
from domain.documents.models import DocumentKind
from domain.mail.transports import FolderTransport, SmtpTransport, transport_for

KEY = {"GROUPCOVER_SECRET_KEY": "k" * 48}


def test_without_an_smtp_url_mail_goes_to_a_folder() -> None:
    settings = load_settings({**KEY, "GROUPCOVER_MAIL_FOLDER": "/tmp/out"})
    transport = transport_for(settings.mail.smtp_url, settings.mail.folder)
    assert isinstance(transport, FolderTransport) and transport.folder == Path("/tmp/out")


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
