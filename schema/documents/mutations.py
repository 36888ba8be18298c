"""Mutations of letter templates, and those that make a policy's ID card and a bill's PDF."""

from __future__ import annotations

import strawberry

from authz.access import DOCUMENTS_ISSUE, PREMIUMS_READ, TEMPLATES_APPROVE, TEMPLATES_WRITE
from domain.documents import bills, cards, service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id
from schema.documents import inputs
from schema.documents.types import Document, LetterTemplate

_ERRORS = "What was wrong with the input; empty when it was done."


@strawberry.type(description="The outcome of a change to a letter template.")
class LetterTemplatePayload:
    letter_template: LetterTemplate | None = strawberry.field(
        description="The version as it now stands; null when refused."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of making a document.")
class DocumentPayload:
    document: Document | None = strawberry.field(description="The new document; null when refused.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type
class DocumentMutation:
    @mutation(
        TEMPLATES_WRITE,
        "Add the next version of a letter template, as a draft. It is compiled with sample "
        "data of its fields first: a text that does not compile (errors give the line) or "
        "reads a field it does not declare is refused.",
    )
    async def letter_template_create(
        self, info: Info, input: inputs.LetterTemplateCreateInput
    ) -> LetterTemplatePayload:
        row = await service.create_template(
            info.context.session,
            actor=actor(info),
            code=input.code,
            kind=input.kind,
            body=input.body,
            fields=list(input.fields),
        )
        return LetterTemplatePayload(letter_template=LetterTemplate.from_model(row), errors=[])

    @mutation(
        TEMPLATES_APPROVE,
        "Approve a template version for use; its author may not. Letters use the newest "
        "approved version of their code.",
    )
    async def letter_template_approve(
        self, info: Info, input: inputs.LetterTemplateApproveInput
    ) -> LetterTemplatePayload:
        row = await service.approve_template(
            info.context.session,
            actor=actor(info),
            template_id=require_id(input.id, "LetterTemplate", field="id"),
        )
        return LetterTemplatePayload(letter_template=LetterTemplate.from_model(row), errors=[])

    @mutation(
        DOCUMENTS_ISSUE,
        "Make the ID card of a policy you may see, as a PDF document of the policy.",
    )
    async def policy_id_card_issue(
        self, info: Info, input: inputs.PolicyIdCardIssueInput
    ) -> DocumentPayload:
        row = await cards.issue_id_card(
            info.context.session,
            actor=actor(info),
            policy_id=require_id(input.policy_id, "Policy", field="policyId"),
            day=input.as_of or info.context.today(),
        )
        return DocumentPayload(document=Document.from_model(row), errors=[])

    @mutation(
        DOCUMENTS_ISSUE,
        "Make the PDF of a month's bill, as a document of the group client billed (and of "
        "the policy, when billed per employee): its lines are the charges you may see. You "
        "must reach that client (or policy); a key of no bill you see is NOT_FOUND.",
    )
    async def bill_document_issue(
        self, info: Info, input: inputs.BillDocumentIssueInput
    ) -> DocumentPayload:
        row = await bills.issue_bill(
            info.context.session,
            actor=actor(info),
            scope=info.context.access.scope(PREMIUMS_READ),
            key=input.key,
        )
        return DocumentPayload(document=Document.from_model(row), errors=[])
