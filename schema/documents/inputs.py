"""Inputs of the queries and mutations of documents and letter templates."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.documents.types import DocumentKind


@strawberry.input(description="A new version of a letter template.")
class LetterTemplateCreateInput:
    code: str = strawberry.field(
        description="Its name: 1 to 60 lower-case letters, digits and '-'. A known code gets "
        "its next version."
    )
    kind: DocumentKind = strawberry.field(description="What it makes; a code keeps its kind.")
    body: str = strawberry.field(
        description="The Typst text, at most 100,000 characters. It reads its data as "
        "`data.<field>` and may read no file and import no package. It is compiled with "
        "sample data of its fields: one that does not compile is refused with the line."
    )
    fields: list[str] = strawberry.field(
        description="The fields it reads; it is given these and nothing else. A CERTIFICATE "
        "is given certificateNumber, policyNumber, asOf, insured, products, issuedAt; an "
        "ID_CARD memberName, policyNumber, groupClient, asOf, insured, products, issuedAt; "
        "a BILL billKey, period, groupClient, billingAccount, allocation, currency, total, "
        "employerTotal, employeeTotal, commission, issuedAt, and its lines as linePolicies, "
        "lineProducts, lineAmounts, lineEmployerShares, lineEmployeeShares (insured, products "
        "and the line fields are lists of texts)."
    )


@strawberry.input(description="A template version to approve.")
class LetterTemplateApproveInput:
    id: strawberry.ID = strawberry.field(description="The version; not one you wrote.")


@strawberry.input(description="The policy whose ID card to make.")
class PolicyIdCardIssueInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    as_of: date | None = strawberry.field(
        default=None, description="The day whose cover it prints; today by default."
    )


@strawberry.input(description="The bill whose PDF to make.")
class BillDocumentIssueInput:
    key: str = strawberry.field(
        description="The bill's key, as `bills` gives it (period, client, billing account, "
        "part, currency)."
    )


@strawberry.input(description="Which documents to list; every given criterion must hold.")
class DocumentFilter:
    kind: DocumentKind | None = strawberry.field(default=None, description="Only this kind.")
    policy_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only those made for this policy."
    )
    group_client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only those made for this group client."
    )


@strawberry.input(description="Which template versions to list.")
class LetterTemplateFilter:
    code: str | None = strawberry.field(default=None, description="Only versions of this code.")
