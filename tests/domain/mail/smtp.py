"""A real SMTP server on a loopback port (aiosmtpd), keeping what it received."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.live import free_port

USER, PASSWORD = "coach", "s3cret:p@ss"


@dataclass
class Inbox:
    """What the server was sent, and how many deliveries it is to refuse first."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, str]]:
    """A server that wants USER and PASSWORD, and the smtp:// URL that reaches it."""
    inbox = Inbox()
    port = free_port()
    with warnings.catch_warnings():
        # Loopback only: production uses STARTTLS or smtps://.
        warnings.simplefilter("ignore", UserWarning)
        controller = _controller(inbox, port)
    controller.start()
    try:
        yield inbox, f"smtp://{USER}:s3cret%3Ap%40ss@127.0.0.1:{port}"
    finally:
        controller.stop()


def _controller(inbox: Inbox, port: int) -> Controller:
    return Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
