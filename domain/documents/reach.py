"""A document is reached through its subject: the policy, or the group client, it was made for.

Templates are the insurer's wording, with no member's data: whoever may read them reads all.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from authz.access import SCOPES, RowScope
from domain.core.reach import Entity, declare
from domain.documents.models import Document, DocumentContent, LetterTemplate
from domain.groups import reach as groups
from domain.groups.models import GroupClient
from domain.policies import reach as policies
from domain.reference.reach import any_of, everyone


@lru_cache(maxsize=SCOPES)
def documents(scope: RowScope) -> Any:
    """Documents of the policies, and of the group clients, the scope reaches."""
    if scope.everything:
        return sa.true()
    reached_clients = sa.select(col(GroupClient.id)).where(groups.clients(scope))
    return any_of(
        policies.of_policies(scope, col(Document.policy_id)),
        col(Document.group_client_id).in_(reached_clients),
    )


@lru_cache(maxsize=SCOPES)
def contents(scope: RowScope) -> Any:
    """The bytes of the documents the scope reaches."""
    if scope.everything:
        return sa.true()
    reached = sa.select(col(Document.id)).where(documents(scope))
    return col(DocumentContent.document_id).in_(reached)


declare(LetterTemplate, Entity(noun="letter template", reach=everyone))
declare(Document, Entity(noun="document", reach=documents, omit=frozenset()))
declare(DocumentContent, Entity(noun="document", reach=contents, omit=frozenset({"content"})))
