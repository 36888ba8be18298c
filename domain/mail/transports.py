"""The transports: an SMTP server (`GROUPCOVER_SMTP_URL`), or a folder in development."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from domain.mail.sending import Transport

TIMEOUT_SECONDS = 30


class SmtpTransport:
    """smtp://[user:password@]host[:port] (STARTTLS when the server offers it) or smtps://
    (TLS from the first byte, port 465 by default); stdlib smtplib, in a thread."""

    def __init__(self, url: str, *, context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "GROUPCOVER_SMTP_URL must be smtp://host[:port] or smtps://host[:port]"
            )
        self.secure = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.secure else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.context = context or ssl.create_default_context()

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        if self.secure:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=TIMEOUT_SECONDS, context=self.context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if not self.secure and client.has_extn("starttls"):
                client.starttls(context=self.context)
                client.ehlo()
            if self.user is not None:
                client.login(self.user, self.password or "")
            client.send_message(message)


class FolderTransport:
    """Each message as an .eml file in a folder, for development without a mail server."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("/", "_")
        (self.folder / f"{name}.eml").write_bytes(bytes(message))


def transport_for(smtp_url: str | None, folder: Path) -> Transport:
    """The SMTP server when one is configured, else the folder."""
    return SmtpTransport(smtp_url) if smtp_url else FolderTransport(folder)
