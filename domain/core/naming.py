"""How the API spells a Python name: the one camel-case converter of the code.

The names domain/ writes for a caller (a problem's field, a message, a request's result) must
be the ones the schema shows, which strawberry makes with `to_camel_case`; but domain/ may not
import strawberry (pyproject.toml's import contracts). So the rule lives here, for domain/ and
schema/ alike, and tests/domain/core/test_naming.py holds it to strawberry's for every name.
"""

from __future__ import annotations


def camel(name: str) -> str:
    """`end_date` as the API spells it: `endDate`. Each part after the first is capitalized
    (the rest of it lower case: `line_2b` is `line2b`); an empty one, of a doubled `_`, stays
    an underscore."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() if part else "_" for part in rest)
