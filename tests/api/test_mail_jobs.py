"""Mail is sent in the background once the change that queued it commits: by a procrastinate
job that `groupcover worker` runs (PostgreSQL), or in the server's process (SQLite)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from api import jobs, mailer
from api.app import create_app
from api.mailer import MailSettings
from domain.mail import service
from domain.mail.models import MailState, OutgoingMail
from tests.conftest import POSTGRES_URL, SETTINGS
from tests.domain.mail.smtp import Inbox, smtp_server
from tests.live import Live, groupcover, live_database

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"])
async def live(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database(request.param, tmp_path) as database:
        yield database


async def _queue(live: Live, subject: str) -> int:
    async with live.sessions() as session:
        row = await service.queue_mail(
            session, to=["team@insurer.example"], subject=subject, body="Counts per client."
        )
        await session.commit()
        return row.id  # type: ignore[return-value]


async def _state(live: Live, mail_id: int) -> MailState:
    async with live.sessions() as session:
        stmt = sa.select(OutgoingMail.state).where(OutgoingMail.id == mail_id)
        return (await session.scalar(stmt)) or MailState.FAILED


async def _arrived(inbox: Inbox, count: int, seconds: float = 30) -> None:
    for _ in range(int(seconds * 10)):
        if len(inbox.messages) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(inbox.messages)} of {count} messages arrived")


async def test_a_committed_message_is_sent_by_the_background(live: Live) -> None:
    with smtp_server() as (inbox, url):
        if live.url.startswith("postgresql"):
            # given: the server's process defers a job at commit
            async with jobs.queue_on(live.url) as queue:
                service.on_queued(mailer.deferring(lambda: queue))
                try:
                    mail_id = await _queue(live, "Claritin: 3 clients")
                    await asyncio.sleep(0.5)  # the deferral runs as a task after commit
                finally:
                    service.on_queued(None)
            # when: a worker runs until the queue is empty
            done = await groupcover(live, "worker", "--once", GROUPCOVER_SMTP_URL=url)
            assert done.returncode == 0, done.stderr.decode()[-2000:]
        else:
            # given: a server on SQLite, which sends in its own process
            settings = replace(SETTINGS, database_url=live.url, mail=MailSettings(smtp_url=url))
            create_app(settings, sessions=live.sessions)
            try:
                mail_id = await _queue(live, "Claritin: 3 clients")
            finally:
                service.on_queued(None)
        # then
        await _arrived(inbox, 1)
    assert inbox.messages[0]["Subject"] == "Claritin: 3 clients"
    assert await _state(live, mail_id) is MailState.SENT
