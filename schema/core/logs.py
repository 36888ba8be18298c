"""How a request's errors are logged: a client's mistake on one line, a bug with its traceback.

strawberry logs every error with the traceback of its cause (`Schema.process_errors`): a
reporting user asking personal fields of 3,000 policies wrote 153 MB of tracebacks for 39,000
expected refusals. Here an expected error (a refusal, a NOT_FOUND, an invalid document or
variable, a limit) is one INFO line; only an unexpected one keeps its traceback.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.utils.logging import StrawberryLogger


def is_unexpected(error: GraphQLError) -> bool:
    """A bug or an outage, not a client's mistake: its message may hold internals."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class Schema(strawberry.Schema):
    """strawberry's schema, logging expected errors without their tracebacks."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            if is_unexpected(error):
                StrawberryLogger.error(error, execution_context)
            else:
                StrawberryLogger.logger.info(
                    "GraphQL error: operation=%s code=%s path=%s",
                    getattr(execution_context, "operation_name", None) or "-",
                    _code(error),
                    ".".join(str(part) for part in error.path or ()) or "-",
                )


def _code(error: GraphQLError) -> str:
    """The error's code; a document or variables refused before running have none of their own."""
    code = (error.extensions or {}).get("code")
    if code:
        return str(code)
    return "INVALID_REQUEST" if error.path is None else "BAD_REQUEST"
