"""Queueing mail: a row in the caller's transaction, handed to the sender once it commits.

A message is written where the change that sends it is written, so a change rolled back sends
nothing and a committed one is sent even if the process dies before it could: the sender's
sweep finds every QUEUED row that is due. Campaigns call `queue_mail`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import ErrorCode, Problem, raise_if
from domain.mail.models import OutgoingMail

logger = logging.getLogger(__name__)

_ADDRESS = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
MAX_RECIPIENTS = 50
MAX_BODY = 200_000

Waker = Callable[[], Coroutine[Any, Any, None]]
_WAKER: list[Waker] = []
_WOKEN = "groupcover.mail.wake"


def on_queued(waker: Waker | None) -> None:
    """Register what a committed message wakes (the server's or the worker's sender)."""
    _WAKER[:] = [waker] if waker is not None else []


def _check(to: Sequence[str], subject: str, body: str) -> list[Problem]:
    problems = []
    if not to or len(to) > MAX_RECIPIENTS or not all(_ADDRESS.fullmatch(a) for a in to):
        said = f"Give 1 to {MAX_RECIPIENTS} e-mail addresses, each name@domain."
        problems.append(Problem(("to",), ErrorCode.INVALID_FORMAT, said))
    if not subject.strip() or len(subject) > 300 or any(c in subject for c in "\r\n\x00"):
        said = "Give a subject of one line, at most 300 characters."
        problems.append(Problem(("subject",), ErrorCode.INVALID_FORMAT, said))
    if len(body) > MAX_BODY or "\x00" in body:
        problems.append(Problem(("body",), ErrorCode.TOO_LONG, f"At most {MAX_BODY} characters."))
    return problems


async def queue_mail(
    session: AsyncSession,
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[int] = (),
) -> OutgoingMail:
    """Queue a plain-text message, with documents (by id) attached as PDFs; sent after commit."""
    raise_if(_check(to, subject, body))
    row = OutgoingMail(
        recipients=list(to), subject=subject, body=body, attachments=list(attachments)
    )
    session.add(row)
    await session.flush()
    if not session.info.get(_WOKEN):
        session.info[_WOKEN] = True
        event.listen(session.sync_session, "after_commit", _wake, once=True)
        event.listen(session.sync_session, "after_rollback", _forget, once=True)
    return row


_WAKING: set[asyncio.Task[Any]] = set()


def _wake(sync_session: Any) -> None:
    sync_session.info.pop(_WOKEN, None)
    if not _WAKER:
        return  # no sender in this process: the next sweep sends it
    task = asyncio.get_running_loop().create_task(_WAKER[0]())
    _WAKING.add(task)
    task.add_done_callback(_WAKING.discard)


def _forget(sync_session: Any) -> None:
    sync_session.info.pop(_WOKEN, None)
