"""A catalogue item belongs to its group account: it is reached exactly when the account is
(so an employee reads the items of the accounts they are insured in), and it is part of the
group's configuration: a change to it makes the account's group client CHANGED."""

from __future__ import annotations

from sqlmodel import col

from domain.catalogue.models import CatalogueItem
from domain.core.reach import Entity, declare
from domain.groups.reach import client_of, of_accounts

declare(
    CatalogueItem,
    Entity(
        noun="catalogue item",
        reach=lambda scope: of_accounts(scope, col(CatalogueItem.group_account_id)),
        groups=lambda session, row: client_of(session, row.group_account_id),
    ),
)
