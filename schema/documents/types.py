"""GraphQL types of letter templates and documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

import strawberry
from strawberry.dataloader import DataLoader

from authz.access import PERSONAL_FIELDS
from domain.documents import models
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import CountedConnection, RowNode, global_id
from schema.groups.types import GroupClient
from schema.policies.types import Policy

strawberry.enum(
    models.DocumentKind,
    description="LETTER (to a member, from an approved template), CERTIFICATE (of insurance), "
    "ID_CARD (a member's card), BILL (a month's premium bill).",
)
strawberry.enum(models.TemplateState, description="DRAFT until an admin approves it; APPROVED.")
DocumentKind = models.DocumentKind
TemplateState = models.TemplateState
DOWNLOADS = "/documents/"
"""Where a document's PDF is served (api.downloads), under its opaque id."""


@strawberry.type(description="One version of a Typst letter template.")
class LetterTemplate(RowNode):
    id: strawberry.relay.NodeID[int]
    code: str = strawberry.field(description="Its name; each create of a code is a new version.")
    version: int = strawberry.field(description="1 for the first text of its code, then 2, ...")
    kind: DocumentKind = strawberry.field(description="What it makes.")
    body: str = strawberry.field(description="The Typst text; it reads its data as `data.<field>`.")
    fields: list[str] = strawberry.field(description="The data it reads, and is given: no more.")
    state: TemplateState = strawberry.field(description="Whether it may be used.")
    created_by: str = strawberry.field(description="Who wrote it.")
    created_at: datetime = strawberry.field(description="When (UTC).")
    approved_by: str | None = strawberry.field(description="Who approved it, once approved.")
    approved_at: datetime | None = strawberry.field(description="When it was approved (UTC).")
    row: strawberry.Private[models.LetterTemplate]

    @classmethod
    def from_model(cls, row: models.LetterTemplate) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            code=row.code,
            version=row.version,
            kind=row.kind,
            body=row.body,
            fields=list(row.fields),
            state=row.state,
            created_by=row.created_by,
            created_at=row.created_at,
            approved_by=row.approved_by,
            approved_at=row.approved_at,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.documents.template_by_id


@strawberry.type(description="A PDF made for a policy or a group client.")
class Document(RowNode):
    id: strawberry.relay.NodeID[int]
    kind: DocumentKind = strawberry.field(description="What it is.")
    file_name: str = strawberry.field(description="The name it downloads as.")
    sha256: str = strawberry.field(description="The lower-case hex SHA-256 of its bytes.")
    size: int = strawberry.field(description="How many bytes it has.")
    template_code: str = strawberry.field(description="The template it was made with.")
    template_version: int = strawberry.field(
        description="The version of that template; 0 for the one shipped with the server."
    )
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    retain_until: date = strawberry.field(description="Kept until this day, then deleted.")
    row: strawberry.Private[models.Document]

    @classmethod
    def from_model(cls, row: models.Document) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            kind=row.kind,
            file_name=row.file_name,
            sha256=row.sha256,
            size=row.size,
            template_code=row.template_code,
            template_version=row.template_version,
            created_at=row.created_at,
            retain_until=row.retain_until,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.documents.document_by_id

    @strawberry.field(
        **guarded(
            PERSONAL_FIELDS,
            "Where to GET the PDF, relative to the server, with the same bearer token: it "
            "names members, so it needs what their personal fields need.",
        )
    )
    def download_url(self) -> str | None:
        return DOWNLOADS + global_id("Document", self.id)

    @strawberry.field(description="The policy it was made for, if any and you may see it.")
    async def policy(self, info: Info) -> Policy | None:
        if self.row.policy_id is None:
            return None
        found = await info.context.loaders.policies.policy_by_id.load(self.row.policy_id)
        return Policy.from_model(found) if found else None

    @strawberry.field(description="The group client it was made for, if any and you may see it.")
    async def group_client(self, info: Info) -> GroupClient | None:
        if self.row.group_client_id is None:
            return None
        found = await info.context.loaders.groups.group_client_by_id.load(self.row.group_client_id)
        return GroupClient.from_model(found) if found else None


@strawberry.type(description="A page of documents.")
class DocumentConnection(CountedConnection[Document]):
    pass


@strawberry.type(description="A page of letter template versions.")
class LetterTemplateConnection(CountedConnection[LetterTemplate]):
    pass
