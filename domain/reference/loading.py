"""Loading a reference data file through the same services as the admin mutations.

Idempotent: an entry that matches what is stored is left alone, so a second load of the same
file changes nothing (and says so). All or nothing: every entry is tried, and when any is
refused the caller rolls everything back and reports each refusal with its entry and field.
Entries missing from the file are kept; a product's `coverage_tiers` are its tiers from then
on (so a tier a policy is enrolled in cannot go), its `parameters` are added when missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.reference import editing, products
from domain.reference.entries import (
    SECTIONS,
    EntryError,
    LabelSpec,
    ParameterSpec,
    ProductSpec,
    read_entries,
)
from domain.reference.models import DataAccessGroup, LineOfBusiness, Product
from domain.reference.service import tiers_by_product
from domain.settings.catalogue import create_product_parameter
from domain.settings.models import ProductParameter


class LoadRefused(Exception):
    """The file was not loaded: nothing of it is kept."""

    def __init__(self, errors: list[EntryError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


@dataclass
class Loaded:
    """What a load did, by kind: `added` and `changed` counts."""

    added: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)

    @property
    def nothing(self) -> bool:
        return not (+self.added or +self.changed)


async def load_reference(session: AsyncSession, *, actor: Actor, data: object) -> Loaded:
    """Bring the stored reference data up to the file's; refuse it whole if any entry is wrong.

    The caller commits on success and rolls back on `LoadRefused`."""
    entries = read_entries(data)
    # The entries read well are tried all the same, so that one run reports every problem.
    loaded, errors = Loaded(), list(entries.errors)
    for model, kind, specs in (
        (LineOfBusiness, "lines of business", entries.lines_of_business),
        (DataAccessGroup, "data access groups", entries.data_access_groups),
    ):
        for spec in specs:
            await _attempt(spec.entry, errors, _label(session, actor, model, spec, kind, loaded))
    for product in entries.products:
        await _attempt(product.entry, errors, _product(session, actor, product, loaded))
    if errors:
        raise LoadRefused(sorted(errors, key=_position))
    return loaded


def _position(error: EntryError) -> tuple[int, int]:
    """An error's place in the file: section, then entry (the file's own errors first)."""
    section, _, rest = error.entry.partition("[")
    order = SECTIONS.index(section) if section in SECTIONS else -1
    index = rest.split("]")[0]
    return order, int(index) if index.isdigit() else -1


async def _attempt(entry: str, errors: list[EntryError], step: Awaitable[None]) -> None:
    """Take one entry's step; a refusal is recorded against the entry, and the load goes on."""
    try:
        await step
    except DomainError as refused:
        errors.extend(
            EntryError(entry, ".".join(problem.field), problem.message)
            for problem in refused.problems
        )


async def _label(
    session: AsyncSession,
    actor: Actor,
    model: Any,
    spec: LabelSpec,
    kind: str,
    loaded: Loaded,
) -> None:
    stored = await session.scalar(sa.select(model).where(col(model.code) == spec.code.strip()))
    if stored is None:
        await editing.create_labelled(
            session, actor=actor, model=model, code=spec.code, name=spec.name
        )
        loaded.added[kind] += 1
    elif stored.name != " ".join(spec.name.split()):
        await editing.update_labelled(
            session, actor=actor, model=model, code=spec.code, name=spec.name, version=None
        )
        loaded.changed[kind] += 1


async def _product(session: AsyncSession, actor: Actor, spec: ProductSpec, loaded: Loaded) -> None:
    stored = await session.scalar(sa.select(Product).where(col(Product.code) == spec.code.strip()))
    if stored is None:
        stored = await products.create_product(
            session, actor=actor, code=spec.code, name=spec.name, kind=spec.kind,
            line_of_business=spec.line_of_business, coverage_tiers=spec.coverage_tiers,
        )  # fmt: skip
        loaded.added["products"] += 1
    elif await _differs(session, stored, spec):
        await products.update_product(
            session, actor=actor, product_id=stored.id, version=None, name=spec.name,  # type: ignore[arg-type]
            kind=spec.kind, line_of_business=spec.line_of_business,
            coverage_tiers=spec.coverage_tiers,
        )  # fmt: skip
        loaded.changed["products"] += 1
    await _parameters(session, actor, stored, spec, loaded)


async def _differs(session: AsyncSession, stored: Product, spec: ProductSpec) -> bool:
    line = await session.scalar(
        sa.select(col(LineOfBusiness.code)).where(
            col(LineOfBusiness.id) == stored.line_of_business_id
        )
    )
    tiers = (await tiers_by_product(session, [stored.id]))[stored.id]  # type: ignore[list-item, index]
    return (
        stored.name != " ".join(spec.name.split())
        or stored.kind != spec.kind
        or line != spec.line_of_business.strip()
        or set(tiers) != set(spec.coverage_tiers)
    )


async def _parameters(
    session: AsyncSession, actor: Actor, product: Product, spec: ProductSpec, loaded: Loaded
) -> None:
    """Define the parameters the product lacks; one it has must keep its description."""
    stmt = sa.select(ProductParameter).where(col(ProductParameter.product_id) == product.id)
    have = {p.name: p for p in (await session.scalars(stmt)).all()}
    problems: list[Problem] = []
    for i, parameter in enumerate(spec.parameters):
        stored = have.get(parameter.name.strip())
        if stored is None:
            try:
                await create_product_parameter(
                    session, actor=actor, product_code=spec.code, name=parameter.name,
                    description=parameter.description, allowed_values=parameter.allowed_values,
                )  # fmt: skip
            except DomainError as refused:
                problems.extend(
                    Problem((f"parameters[{i}]", *p.field), p.code, p.message)
                    for p in refused.problems
                )
                continue
            loaded.added["product parameters"] += 1
        else:
            problems.extend(_parameter_kept(i, stored, parameter))
    raise_if(problems)


def _parameter_kept(i: int, stored: ProductParameter, given: ParameterSpec) -> list[Problem]:
    """A parameter is never changed: a file must give it as it is."""
    tidied = (
        None
        if given.allowed_values is None
        else [" ".join(v.split()) for v in given.allowed_values]
    )
    return [
        Problem(
            (f"parameters[{i}]", field),
            ErrorCode.NOT_ALLOWED,
            f"The product defines {stored.name} with other {field}; a parameter cannot be changed.",
        )
        for field, differs in (
            ("description", stored.description != " ".join(given.description.split())[:200]),
            ("allowed_values", stored.allowed_values != tidied),
        )
        if differs
    ]
