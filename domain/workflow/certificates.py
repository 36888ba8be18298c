"""Certificates of insurance, issued by registering a CERTIFICATE request, as JSON and PDF."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from domain.core import changes
from domain.core.columns import utcnow
from domain.documents.models import DocumentKind
from domain.documents.producing import produce
from domain.policies.insured import insured_on, products_on
from domain.policies.models import Policy


async def certificate(
    session: AsyncSession, actor: Actor, details: Mapping[str, Any], today: date
) -> dict[str, Any]:
    """A certificate of insurance: who is covered by which products on a day, and its PDF.

    It names the insured, so a request's `result` is personal data (schema.workflow.types);
    the PDF is a CERTIFICATE document of the policy, found by `documents`.
    """
    as_of = details.get("as_of")
    day = date.fromisoformat(as_of) if as_of else today
    policy = await changes.load(session, actor, Policy, details["policy_id"], field="policyId")
    assert policy.id is not None
    number = f"COI-{policy.number}-{day:%Y%m%d}"
    result = {
        "certificateNumber": number,
        "policyNumber": policy.number,
        "asOf": day.isoformat(),
        "insured": await insured_on(session, policy.id, day),
        "products": list(await products_on(session, policy.id, day)),
        "issuedAt": utcnow().isoformat(timespec="seconds"),
    }
    document = await produce(
        session,
        actor=actor,
        kind=DocumentKind.CERTIFICATE,
        data=result,
        file_name=f"{number}.pdf",
        policy_id=policy.id,
    )
    return {**result, "documentSha256": document.sha256}
