"""schema.core.built makes the objects of a large answer as their __init__ would."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from domain.policies import models
from domain.reading import record_type
from schema.core.built import maker
from schema.policies.types import Person, Policy, PolicyMember

PERSON = record_type(("id", "person_number", "version", "given_name"))(7, "P-7", 2, "Ann")
MEMBER = record_type(("id", "relationship", "start_date", "end_date"))(
    3, models.Relationship.SPOUSE, date(2026, 1, 1), None
)
POLICY = record_type(("id", "number", "status", "start_date", "end_date", "version"))(
    5, "POL-5", models.PolicyStatus.ACTIVE, date(2026, 1, 1), None, 4
)


@pytest.mark.parametrize(
    ("cls", "made", "keywords"),
    [
        (
            Person,
            lambda: Person.from_model(PERSON),
            {"id": 7, "person_number": "P-7", "version": 2, "row": PERSON},
        ),
        (
            PolicyMember,
            lambda: PolicyMember.of((MEMBER, PERSON)),
            {
                "relationship": models.Relationship.SPOUSE,
                "start_date": date(2026, 1, 1),
                "end_date": None,
                "person": Person.from_model(PERSON),
                "row": MEMBER,
            },
        ),
        (
            Policy,
            lambda: Policy.from_model(POLICY),
            {
                "id": 5,
                "number": "POL-5",
                "status": models.PolicyStatus.ACTIVE,
                "start_date": date(2026, 1, 1),
                "end_date": None,
                "version": 4,
                "row": POLICY,
            },
        ),
    ],
)
def test_a_made_object_is_the_one_its_init_makes(
    cls: type, made: Any, keywords: dict[str, Any]
) -> None:
    # when a row's object is made, and the same by its __init__
    ours, theirs = made(), cls(**keywords)
    # then they are equal, with the same attributes set, and the fields __init__ leaves to the
    # class (a direct field's None) read the same
    assert type(ours) is cls and ours == theirs and vars(ours) == vars(theirs)
    left_to_the_class = {field.name for field in dataclasses.fields(cls)} - set(vars(theirs))
    for name in left_to_the_class:
        if getattr(theirs, name) is None:
            assert getattr(ours, name) is None


def test_a_type_whose_init_does_more_is_refused() -> None:
    # given a type whose __init__ runs more than setting its fields
    @dataclasses.dataclass
    class Checked:
        value: int

        def __post_init__(self) -> None:
            assert self.value > 0

    @dataclasses.dataclass
    class Listed:
        values: list[int] = dataclasses.field(default_factory=list)

    # then no maker is made for it
    for cls in (Checked, Listed):
        with pytest.raises(TypeError, match="does more than set its fields"):
            maker(cls)
