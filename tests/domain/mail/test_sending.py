"""Queued mail reaches a real SMTP server after commit, with its PDFs, and is retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.core.columns import utcnow
from domain.core.errors import DomainError
from domain.documents.cards import issue_id_card
from domain.mail import service
from domain.mail.models import MailState, OutgoingMail
from domain.mail.sending import MAX_ATTEMPTS, deliver_due
from domain.mail.transports import FolderTransport, SmtpTransport
from domain.policies.models import Policy
from tests.domain.documents.conftest import ADMIN
from tests.domain.documents.pdfs import text_of
from tests.domain.mail.smtp import smtp_server

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
SENDER = "groupcover <coach@insurer.example>"


async def test_a_queued_message_arrives_with_its_pdf(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    acme_policies: list[Policy],
) -> None:
    # given
    card = await issue_id_card(
        session,
        actor=ADMIN,
        policy_id=acme_policies[0].id,
        day=utcnow().date(),  # type: ignore[arg-type]
    )
    await service.queue_mail(
        session,
        to=["team@insurer.example"],
        subject="Claritin goes over the counter: 3 members of ACME",
        body="ACME: 3 affected members.\n",
        attachments=[card.id],  # type: ignore[list-item]
    )
    await session.commit()
    # when
    with smtp_server() as (inbox, url):
        sent = await deliver_due(sessions, SmtpTransport(url), sender=SENDER)
    # then
    assert sent == 1
    (message,) = inbox.messages
    assert message["Subject"] == "Claritin goes over the counter: 3 members of ACME"
    assert message["To"] == "team@insurer.example"
    assert message.get_body().get_content().splitlines() == ["ACME: 3 affected members."]  # type: ignore[union-attr]
    (pdf,) = list(message.iter_attachments())
    assert pdf.get_filename() == card.file_name
    assert "Holder Family 0" in text_of(pdf.get_content())


async def test_a_refused_message_waits_and_is_sent_later(
    session: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # given
    row = await service.queue_mail(session, to=["a@b.example"], subject="Hi", body="Hello")
    await session.commit()
    now = utcnow()
    with smtp_server() as (inbox, url):
        inbox.refuse_next = 1
        # when: refused once, then asked again too early, then after the wait
        first = await deliver_due(sessions, SmtpTransport(url), sender=SENDER, now=now)
        early = await deliver_due(sessions, SmtpTransport(url), sender=SENDER, now=now)
        later = now + timedelta(minutes=2)
        last = await deliver_due(sessions, SmtpTransport(url), sender=SENDER, now=later)
    # then
    await session.refresh(row)
    assert (first, early, last) == (0, 0, 1)
    assert (row.state, row.attempts, len(inbox.messages)) == (MailState.SENT, 2, 1)
    assert row.last_error is not None and "451" in row.last_error


async def test_a_message_gives_up_after_the_last_attempt(
    session: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    row = await service.queue_mail(session, to=["a@b.example"], subject="Hi", body="Hello")
    await session.commit()
    wrong = SmtpTransport("smtp://127.0.0.1:1")  # nothing listens there
    when = utcnow()
    for _ in range(MAX_ATTEMPTS):
        await deliver_due(sessions, wrong, sender=SENDER, now=when)
        when += timedelta(hours=2)
    await session.refresh(row)
    assert (row.state, row.attempts) == (MailState.FAILED, MAX_ATTEMPTS)


async def test_a_wrong_password_is_an_attempt_not_a_crash(
    session: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    row = await service.queue_mail(session, to=["a@b.example"], subject="Hi", body="Hello")
    await session.commit()
    with smtp_server() as (inbox, url):
        wrong = url.replace("s3cret", "guess")
        assert await deliver_due(sessions, SmtpTransport(wrong), sender=SENDER) == 0
    await session.refresh(row)
    assert (row.state, row.attempts, inbox.messages) == (MailState.QUEUED, 1, [])


async def test_without_a_server_messages_are_written_to_a_folder(
    session: AsyncSession, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await service.queue_mail(session, to=["a@b.example"], subject="Hi", body="Hello")
    await session.commit()
    assert await deliver_due(sessions, FolderTransport(tmp_path), sender=SENDER) == 1
    (written,) = await asyncio.to_thread(lambda: list(tmp_path.glob("*.eml")))
    assert b"Subject: Hi" in await asyncio.to_thread(written.read_bytes)


async def test_a_commit_wakes_the_sender_and_a_rollback_sends_nothing(
    session: AsyncSession,
) -> None:
    woken = asyncio.Event()

    async def wake() -> None:
        woken.set()

    service.on_queued(wake)
    try:
        await service.queue_mail(session, to=["a@b.example"], subject="Hi", body="x")
        await session.rollback()
        await asyncio.sleep(0)
        assert not woken.is_set()
        await service.queue_mail(session, to=["a@b.example"], subject="Hi", body="x")
        await session.commit()
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        service.on_queued(None)


@pytest.mark.parametrize(
    ("to", "subject", "field"),
    [
        (["a@b.example\r\nBcc: all@b.example"], "Hi", "to"),
        ([], "Hi", "to"),
        (["a@b.example"], "Hi\r\nBcc: all@b.example", "subject"),
        (["a@b.example"], "", "subject"),
    ],
)
async def test_addresses_and_subjects_that_would_add_headers_are_refused(
    session: AsyncSession, to: list[str], subject: str, field: str
) -> None:
    with pytest.raises(DomainError) as error:
        await service.queue_mail(session, to=to, subject=subject, body="x")
    assert [p.field for p in error.value.problems] == [(field,)]


async def test_nothing_is_queued_by_a_refusal(session: AsyncSession) -> None:
    with pytest.raises(DomainError):
        await service.queue_mail(session, to=["nope"], subject="Hi", body="x")
    assert await session.get(OutgoingMail, 1) is None
