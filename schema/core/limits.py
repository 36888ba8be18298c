"""Limits on what one GraphQL document may ask, after the OWASP GraphQL cheat sheet.

Each is a validation rule, a parser option or (for what depends on the variables: the cost,
a NUL in a value) a check when execution starts, so a document over a limit is refused before
anything runs, with a message that says which limit and by how much.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import ASTValidationRule, GraphQLError, ValidationRule
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)

from schema.core.cost import operation_cost
from schema.core.nul import NoNulLiterals, NoNulVariables

CACHED_DOCUMENTS = 1000
"""Distinct documents whose parse and validation each process keeps (least recently used go)."""


@dataclass(frozen=True)
class QueryLimits:
    """The most one document may hold (GROUPCOVER_MAX_DEPTH, ..._MAX_ALIASES, ...)."""

    max_depth: int = 24
    max_aliases: int = 30
    max_tokens: int = 3000
    max_directives: int = 20
    max_cost: int = 100_000
    """The most objects an answer may hold by the document's own `first`s and list bounds
    (schema/core/cost.py); 3,000 policies with their history and settings cost 240,000."""


def _directive_limit(limit: int) -> type[ValidationRule]:
    class MaxDirectives(ValidationRule):
        """Refuse a document with more than `limit` directives (e.g. @include, @skip)."""

        count = 0

        def enter_directive(self, node: Any, *_args: Any) -> None:
            self.count += 1
            if self.count == limit + 1:
                self.report_error(
                    GraphQLError(f"The document has more than {limit} directives.", node)
                )

    return MaxDirectives


# graphql-core's suggestions name only fields, arguments, types and enum values, which hold no
# "?"; a variable's message holds one after its own text ("...; Did you mean ...?").
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class NoSuggestions(SchemaExtension):
    """Leave "Did you mean ...?" out of every error, wherever it stands: it maps the schema.

    Validation errors carry them, and so do variables' values refused when the operation
    starts (an enum value, an input field), which come after validation."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        result_errors = context.result.errors if context.result else None
        for error in [*(context.pre_execution_errors or []), *(result_errors or [])]:
            error.message = _SUGGESTION.sub("", error.message)


def limit_rules(limits: QueryLimits) -> list[type[ASTValidationRule]]:
    """The validation rules of the depth, alias and directive limits (tokens: a parser option),
    and no NUL in a literal."""
    return [
        query_depth_limiter.create_validator(limits.max_depth, None),
        max_aliases.create_validator(limits.max_aliases),
        _directive_limit(limits.max_directives),
        NoNulLiterals,
    ]


class CostLimit(SchemaExtension):
    """Refuse, before it runs, an operation whose cost (schema/core/cost.py) is over `limit`.

    The cost needs the request's variables (a `first: $n`), so it is reckoned per request
    once the document is valid, not cached with the validation; in development the answer's
    `extensions.cost` says what it came to."""

    def __init__(self, limit: int, *, report: bool) -> None:
        self.limit = limit
        self.report = report
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None and context.graphql_document is not None:
            self.cost = operation_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
            )
            if self.cost > self.limit:
                context.result = GraphQLExecutionResult(data=None, errors=[self._refusal()])
        yield

    def _refusal(self) -> GraphQLError:
        return GraphQLError(
            f"The query may return {self.cost} objects, more than the limit of {self.limit}: "
            "ask for smaller pages (`first`) or fewer nested lists.",
            extensions={"code": "QUERY_TOO_COSTLY", "cost": self.cost, "limit": self.limit},
        )

    def get_results(self) -> dict[str, Any]:
        if not self.report or self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.limit}}


def limit_extensions(limits: QueryLimits, *, production: bool) -> list[Any]:
    """Factories of the schema extensions that enforce the limits (one instance per
    request, as they keep the request's state); production also hides the schema.

    The limits' validation rules are made once, so that a document's parse and validation,
    the same for every caller, are cached and not redone on each request."""
    rules = limit_rules(limits)
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        NoNulVariables,
        lambda: CostLimit(limits.max_cost, report=not production),
    ]
    if production:
        extensions += [DisableIntrospection, NoSuggestions]
    return extensions
