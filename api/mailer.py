"""Sending queued mail in the background: after each commit that queued some, and every minute.

On PostgreSQL a commit defers a `mail.send` job (one waiting at a time: a queueing lock) that
`groupcover worker` runs, and a periodic `mail.sweep` sends whatever is due (retries after
their backoff, messages a dead process never sent). On SQLite both run in the server's
process. Sending itself is domain.mail.sending: one message per transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.jobs import SWEEP_SECONDS, jobs
from domain.mail.sending import deliver_due
from domain.mail.service import Waker
from domain.mail.transports import transport_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes: `GROUPCOVER_SMTP_URL`, else .eml files in `GROUPCOVER_MAIL_FOLDER`."""

    smtp_url: str | None = None
    folder: Path = Path("mail-outbox")
    folder_chosen: bool = False
    """`GROUPCOVER_MAIL_FOLDER` was set: mail goes to the folder on purpose (production allows
    that only then, see api.settings.require_mail_server)."""
    sender: str = "groupcover <noreply@localhost>"
    """The From of every message (`GROUPCOVER_MAIL_FROM`)."""


class Mailer:
    """This process's sender of queued mail."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: MailSettings):
        self.sessions = sessions
        self.settings = settings
        self.transport = transport_for(settings.smtp_url, settings.folder)

    async def deliver(self, now: datetime | None = None) -> int:
        """Send every message that is due; how many were sent."""
        return await deliver_due(
            self.sessions, self.transport, sender=self.settings.sender, now=now
        )

    async def deliver_logged(self) -> None:
        """Send what is due; a failure is logged, and the next sweep tries again."""
        try:
            await self.deliver()
        except Exception:
            logger.exception("sending queued mail failed")

    async def run_sweeps(self) -> None:
        """Send what is due every minute, for as long as the server runs (SQLite)."""
        while True:
            await self.deliver_logged()
            await asyncio.sleep(SWEEP_SECONDS)


_worker: dict[str, Mailer] = {}


def configure_worker(mailer: Mailer) -> None:
    """The sender the mail jobs use in this process."""
    _worker["mailer"] = mailer


@jobs.task(
    name="mail.send",
    queue="mail",
    retry=procrastinate.RetryStrategy(max_attempts=3, exponential_wait=2),
)
async def send_mail() -> None:
    """Send the queued mail that is due."""
    await _worker["mailer"].deliver()


@jobs.periodic(cron="* * * * *", periodic_id="mail-sweep")
@jobs.task(name="mail.sweep", queue="mail", queueing_lock="mail-sweep")
async def mail_sweep(timestamp: int) -> None:
    """Send what is due: retries whose wait is over, and mail a dead process left."""
    await _worker["mailer"].deliver()


def deferring(queue: Any) -> Waker:
    """A waker that defers one `mail.send` job on the queue `queue()` returns."""

    async def wake() -> None:
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await queue().configure_task("mail.send", queueing_lock="mail-send").defer_async()

    return wake
