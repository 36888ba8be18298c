"""Letter templates: versioned, compiled at create, approved by another admin before use."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError, ErrorCode
from domain.documents import service
from domain.documents.models import DocumentKind, LetterTemplate, TemplateState
from tests.domain.documents.conftest import ADMIN, REVIEWER

LETTER = "Dear #data.memberName,\n\n#data.drugName is now sold over the counter.\n"


async def _create(
    session: AsyncSession,
    body: str = LETTER,
    *,
    code: str = "otc-letter",
    kind: DocumentKind = DocumentKind.LETTER,
    fields: tuple[str, ...] = ("memberName", "drugName"),
) -> LetterTemplate:
    return await service.create_template(
        session, actor=ADMIN, code=code, kind=kind, body=body, fields=list(fields)
    )


def _refusal(error: pytest.ExceptionInfo[DomainError]) -> tuple[tuple[str, ...], ErrorCode, str]:
    (problem,) = error.value.problems
    return problem.field, problem.code, problem.message


async def test_each_create_of_a_code_is_its_next_version_and_a_draft(session: AsyncSession) -> None:
    # when
    first = await _create(session)
    second = await _create(session, LETTER + "Kind regards\n")
    # then
    assert (first.version, second.version) == (1, 2)
    assert second.state is TemplateState.DRAFT


async def test_a_template_that_does_not_compile_is_refused_with_its_line(
    session: AsyncSession,
) -> None:
    # when
    with pytest.raises(DomainError) as error:
        await _create(session, "Dear #data.memberName,\n\n#table(columns: [\n")
    # then
    field, code, message = _refusal(error)
    assert (field, code) == (("body",), ErrorCode.DOES_NOT_COMPILE)
    assert "line 3" in message


async def test_a_template_that_reads_a_field_it_was_not_given_is_refused(
    session: AsyncSession,
) -> None:
    # when
    with pytest.raises(DomainError) as error:
        await _create(session, LETTER + "Your salary: #data.salary\n")
    # then
    field, code, message = _refusal(error)
    assert (field, code) == (("body",), ErrorCode.FIELD_NOT_GIVEN)
    assert message.startswith("Line 4: it reads data.salary")


@pytest.mark.parametrize(
    "body",
    ['#read("/etc/passwd")', '#import "@preview/cetz:0.2.0"', "#let f(n) = f(n)\n#f(1)"],
)
async def test_a_template_reads_no_file_imports_no_package_and_ends(
    session: AsyncSession, body: str
) -> None:
    with pytest.raises(DomainError) as error:
        await _create(session, body)
    assert _refusal(error)[1] is ErrorCode.DOES_NOT_COMPILE


async def test_a_certificate_template_declares_only_what_a_certificate_is_given(
    session: AsyncSession,
) -> None:
    with pytest.raises(DomainError) as error:
        await _create(
            session, "#data.salary", code="cert", kind=DocumentKind.CERTIFICATE, fields=("salary",)
        )
    field, code, message = _refusal(error)
    assert (field, code) == (("fields",), ErrorCode.NOT_OFFERED)
    assert "salary" in message


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"code": "Bad Code!"}, "code"),
        ({"fields": ["a b"]}, "fields"),
        ({"fields": ["x", "x"]}, "fields"),
    ],
)
async def test_bad_codes_and_fields_are_refused_naming_them(
    session: AsyncSession, given: dict[str, Any], field: str
) -> None:
    with pytest.raises(DomainError) as error:
        await _create(session, "Hello", **given)
    assert _refusal(error)[0] == (field,)


async def test_a_new_version_keeps_the_kind_of_the_code(session: AsyncSession) -> None:
    await _create(session)
    with pytest.raises(DomainError) as error:
        await _create(
            session, "#data.policyNumber", kind=DocumentKind.ID_CARD, fields=("policyNumber",)
        )
    assert _refusal(error)[:2] == (("kind",), ErrorCode.CONFLICT)


async def test_another_admin_approves_a_template_once(session: AsyncSession) -> None:
    # given
    template = await _create(session)
    # when: its author tries, then a reviewer
    with pytest.raises(DomainError) as own:
        await service.approve_template(session, actor=ADMIN, template_id=template.id)
    approved = await service.approve_template(session, actor=REVIEWER, template_id=template.id)
    # then
    assert _refusal(own)[1] is ErrorCode.NOT_ALLOWED
    assert (approved.state, approved.approved_by) == (TemplateState.APPROVED, "admin-2")
    assert await service.approved(session, "otc-letter") == approved
    with pytest.raises(DomainError) as again:
        await service.approve_template(session, actor=REVIEWER, template_id=template.id)
    assert _refusal(again)[1] is ErrorCode.WRONG_STATUS
