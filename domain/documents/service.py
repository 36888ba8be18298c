"""Letter templates (create a version, approve it) and documents (make one, read it)."""

from __future__ import annotations

import re
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.documents import kinds
from domain.documents.models import (
    DocumentKind,
    LetterTemplate,
    TemplateState,
)
from domain.documents.typesetting import TypesetError, typeset

_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}")
MAX_BODY = 100_000
MAX_FIELDS = 50


def _check(kind: DocumentKind, code: str, body: str, fields: list[str]) -> list[Problem]:
    problems = []
    if not _CODE.fullmatch(code):
        problems.append(Problem(("code",), ErrorCode.INVALID_FORMAT, _CODE_SAYS))
    if not body.strip():
        problems.append(Problem(("body",), ErrorCode.REQUIRED, "Give the template's text."))
    elif len(body) > MAX_BODY or "\x00" in body:
        problems.append(Problem(("body",), ErrorCode.TOO_LONG, _BODY_SAYS))
    bad = [f for f in fields if not _FIELD.fullmatch(f)]
    if bad or len(fields) > MAX_FIELDS or len(set(fields)) != len(fields):
        problems.append(Problem(("fields",), ErrorCode.INVALID_FORMAT, _FIELDS_SAY))
    offered = kinds.OFFERED[kind]
    extra = sorted(set(fields) - offered) if offered is not None else []
    if extra:
        names = ", ".join(sorted(offered or ()))
        said = f"A {kind.value} is not given {', '.join(extra)}; it is given {names}."
        problems.append(Problem(("fields",), ErrorCode.NOT_OFFERED, said))
    return problems


_CODE_SAYS = "Use 1 to 60 lower-case letters, digits and '-', starting with a letter or digit."
_BODY_SAYS = f"A template is at most {MAX_BODY} characters of text."
_FIELDS_SAY = f"Name at most {MAX_FIELDS} distinct fields, each a letter then letters or digits."


def compile_problem(error: TypesetError, given: set[str]) -> Problem:
    """The refusal of a template that does not compile, saying where in its text."""
    if error.missing_field is not None and error.missing_field not in given:
        said = (
            f"Line {error.line}: it reads data.{error.missing_field}, which it is not given; "
            "declare it in fields."
        )
        return Problem(("body",), ErrorCode.FIELD_NOT_GIVEN, said)
    return Problem(("body",), ErrorCode.DOES_NOT_COMPILE, f"It does not compile: {error}.")


async def create_template(
    session: AsyncSession,
    *,
    actor: Actor,
    code: str,
    kind: DocumentKind,
    body: str,
    fields: list[str],
) -> LetterTemplate:
    """Add the next version of a template, once it compiles with sample data of its fields."""
    raise_if(_check(kind, code, body, fields))
    try:
        typeset(body, kinds.sample(fields))
    except TypesetError as error:
        raise DomainError(compile_problem(error, set(fields))) from None
    last = await session.scalar(
        sa.select(sa.func.max(col(LetterTemplate.version))).where(col(LetterTemplate.code) == code)
    )
    known = await session.scalar(
        sa.select(col(LetterTemplate.kind)).where(col(LetterTemplate.code) == code).limit(1)
    )
    if known is not None and known != kind:
        said = f"The template {code} is a {known}; a new version keeps its kind."
        raise DomainError.of("kind", ErrorCode.CONFLICT, said)
    async with changing(
        session, actor, Action.LETTER_TEMPLATE_CREATE, LetterTemplate, marks_changed=False
    ) as change:
        row = change.add(
            LetterTemplate(
                code=code,
                version=(last or 0) + 1,
                kind=kind,
                body=body,
                fields=fields,
                created_by=actor.subject,
            )
        )
    return row


async def approve_template(
    session: AsyncSession, *, actor: Actor, template_id: int
) -> LetterTemplate:
    """Approve a template version for use; its author may not approve it."""
    async with changing(
        session, actor, Action.LETTER_TEMPLATE_APPROVE, LetterTemplate, template_id,
        marks_changed=False,
    ) as change:  # fmt: skip
        row = change.row
        if row.state is TemplateState.APPROVED:
            raise DomainError.of("id", ErrorCode.WRONG_STATUS, "It is approved already.")
        if row.created_by == actor.subject:
            said = "Its author may not approve it: another admin must read it first."
            raise DomainError.of("id", ErrorCode.NOT_ALLOWED, said)
        row.state = TemplateState.APPROVED
        row.approved_by, row.approved_at = actor.subject, utcnow()
    return row


async def approved(session: AsyncSession, code: str) -> LetterTemplate | None:
    """The newest approved version of a template, if there is one."""
    return await session.scalar(
        sa.select(LetterTemplate)
        .where(col(LetterTemplate.code) == code)
        .where(col(LetterTemplate.state) == TemplateState.APPROVED)
        .order_by(col(LetterTemplate.version).desc())
        .limit(1)
    )


def shipped(code: str) -> str:
    """The text of a template shipped with the server."""
    return (resources.files("domain.documents") / "templates" / f"{code}.typ").read_text()
