"""Loading reference data keeps what policies rely on, as the mutations do: the same services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import REFERENCE_WRITE, Access
from authz.principal import Principal, Role
from domain.reference.entries import EntryError
from domain.reference.loading import LoadRefused, load_reference
from tests.factories import Book, families, place

ACTOR = Access(Principal("reference-load", frozenset({Role.ADMIN}))).actor(REFERENCE_WRITE)


def _medical(**changes: Any) -> dict[str, Any]:
    entry = {
        "code": "MED-PPO",
        "name": "Medical PPO",
        "kind": "MEDICAL",
        "line_of_business": "HEALTH",
        "coverage_tiers": ["EMPLOYEE_ONLY", "EMPLOYEE_SPOUSE", "EMPLOYEE_CHILDREN", "FAMILY"],
    }
    return {"products": [{**entry, **changes}]}


@pytest.fixture
async def enrolled(session: AsyncSession) -> Book:
    """MED-PPO offered by ACME, a family enrolled in it in the FAMILY tier."""
    book = await Book(session).setup()
    await families(book, await place(book), 1, since=date(2024, 1, 1))
    await session.commit()
    return book


async def test_the_stored_product_as_a_file_gives_it_changes_nothing(
    session: AsyncSession, enrolled: Book
) -> None:
    # when
    loaded = await load_reference(session, actor=ACTOR, data=_medical())
    # then
    assert loaded.nothing


async def test_a_product_in_use_is_renamed_by_a_load(session: AsyncSession, enrolled: Book) -> None:
    # when
    loaded = await load_reference(session, actor=ACTOR, data=_medical(name="Medical PPO 2027"))
    # then
    assert loaded.changed == {"products": 1}
    assert enrolled.medical.name == "Medical PPO 2027"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"coverage_tiers": ["EMPLOYEE_ONLY"]},
            EntryError(
                "products[0] (MED-PPO)",
                "coverage_tiers",
                "Policies are enrolled in FAMILY: it cannot be withdrawn.",
            ),
        ),
        (
            {"line_of_business": "LIFE"},
            EntryError(
                "products[0] (MED-PPO)",
                "line_of_business",
                "The product is offered or enrolled in: it keeps its kind and line of business. "
                "Add a new product instead.",
            ),
        ),
    ],
)
async def test_a_load_cannot_take_from_a_product_what_policies_rely_on(
    session: AsyncSession, enrolled: Book, changes: dict[str, Any], error: EntryError
) -> None:
    # when
    with pytest.raises(LoadRefused) as refused:
        await load_reference(session, actor=ACTOR, data=_medical(**changes))
    # then
    assert refused.value.errors == [error]


async def test_a_code_given_twice_in_a_section_is_refused(
    session: AsyncSession, enrolled: Book
) -> None:
    # given
    twice = {
        "lines_of_business": [{"code": "DENTAL", "name": "A"}, {"code": "DENTAL", "name": "B"}]
    }
    # when
    with pytest.raises(LoadRefused) as refused:
        await load_reference(session, actor=ACTOR, data=twice)
    # then
    assert refused.value.errors == [
        EntryError("lines_of_business[1] (DENTAL)", "code", "Given twice in this section.")
    ]


async def test_a_parameter_is_added_once_and_then_must_be_given_as_it_is(
    session: AsyncSession, enrolled: Book
) -> None:
    # given
    network = {"name": "NETWORK", "allowed_values": ["IN", "OUT"]}
    # when
    first = await load_reference(session, actor=ACTOR, data=_medical(parameters=[network]))
    again = await load_reference(session, actor=ACTOR, data=_medical(parameters=[network]))
    with pytest.raises(LoadRefused) as refused:
        await load_reference(
            session,
            actor=ACTOR,
            data=_medical(parameters=[{"name": "NETWORK", "allowed_values": ["IN"]}]),
        )
    # then
    assert first.added == {"product parameters": 1}
    assert again.nothing
    assert refused.value.errors == [
        EntryError(
            "products[0] (MED-PPO)",
            "parameters[0].allowed_values",
            "The product defines NETWORK with other allowed_values; a parameter cannot be changed.",
        )
    ]
