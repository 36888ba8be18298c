"""Expected failures as data in a mutation's payload: the one converter from the domain."""

from __future__ import annotations

import strawberry

from domain.core.errors import DomainError
from domain.core.errors import ErrorCode as DomainErrorCode
from domain.core.naming import camel

strawberry.enum(
    DomainErrorCode,
    name="ErrorCode",
    description="Why an input was refused; stable, for programs to act on.",
)
ErrorCode = DomainErrorCode


@strawberry.type(description="A reason a mutation refused its input. Nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='The path to the input field at fault, e.g. ["input", "code"]; '
        "null when the whole input is at fault."
    )
    message: str = strawberry.field(description="What is wrong, for a person to read.")
    code: ErrorCode = strawberry.field(description="What is wrong, for a program to act on.")


def user_errors(error: DomainError) -> list[UserError]:
    """Turn a domain error into the payload's error list, naming input fields as sent."""
    return [
        UserError(
            # A part may name a nested field with dots, as in "medical.diagnosis".
            field=["input", *(camel(p) for part in problem.field for p in part.split("."))]
            if problem.field
            else None,
            message=problem.message,
            code=problem.code,
        )
        for problem in error.problems
    ]
