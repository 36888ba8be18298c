"""Objects of a large answer built by position, without their dataclass __init__.

A strawberry type's __init__ takes its fields by keyword only, and parsing the keywords costs
more than setting the fields: a Person of four fields took 0.24 us, set by position 0.09, and
bench.load's nested query builds 2,500 persons and 2,500 members (issue 21). `maker(cls)` gives
a function that makes a `cls` from the values of the fields its __init__ takes, in their
order, as that __init__ would: each set on the new object, nothing else run. A type whose
__init__ would do more (a __post_init__, a default factory, slots) is refused, and
tests/schema/core/test_built.py holds each made object equal to the one __init__ makes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[..., T]:
    """A function of the values of `cls`'s __init__ fields, in order, that makes a `cls`."""
    fields = [field for field in dataclasses.fields(cls) if field.init]  # type: ignore[arg-type]
    if (
        hasattr(cls, "__post_init__")
        or hasattr(cls, "__slots__")
        or any(field.default_factory is not dataclasses.MISSING for field in fields)
    ):
        raise TypeError(f"{cls.__name__}.__init__ does more than set its fields")
    names = [field.name for field in fields]
    source = (
        f"def make({', '.join(names)}):\n"
        "    made = new(cls)\n"
        + "".join(f"    made.{name} = {name}\n" for name in names)
        + "    return made\n"
    )
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    # The names are our types' own field names, and dataclasses writes __init__ the same way.
    exec(source, namespace)
    return namespace["make"]  # type: ignore[no-any-return]
