"""Limits on what one GraphQL document may ask, after the OWASP GraphQL cheat sheet.

Each is a validation rule, a parser option or (for what depends on the variables: the cost,
a NUL in a value) a check when execution starts, so a document over a limit is refused before
anything runs, with a message that says which limit and by how much.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    ValidationRule,
    parse,
    specified_rules,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension, max_aliases, query_depth_limiter
from strawberry.schema.schema import validate_document

from schema.core.cost import operation_cost
from schema.core.nul import NoNulLiterals, variables_refusal

CACHED_DOCUMENTS = 1000
"""Distinct documents whose parse and validation each schema keeps (least recently used go)."""


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


def limit_rules(limits: QueryLimits) -> list[type[ASTValidationRule]]:
    """The validation rules of the depth, alias and directive limits (tokens: a parser option),
    and no NUL in a literal."""
    return [
        query_depth_limiter.create_validator(limits.max_depth, None),
        max_aliases.create_validator(limits.max_aliases),
        _directive_limit(limits.max_directives),
        NoNulLiterals,
    ]


class _Document:
    """A document's parse, and its validation once a request has asked for it."""

    __slots__ = ("errors", "node")

    def __init__(self, node: DocumentNode) -> None:
        self.node = node
        self.errors: list[GraphQLError] | None = None


class Documents:
    """A schema's limits, and what it knows of each document text it has run: the parse
    (within the token limit), the validation by the limits' rules, and the cost of an operation
    for the page sizes its variables give, each the same for every caller and so not redone on
    each request; the least recently used go beyond CACHED_DOCUMENTS of each.

    A cost reads a variable only as a page size (schema/core/cost.py, an Int): its key keeps
    each variable's Int, and nothing of any other value."""

    def __init__(self, limits: QueryLimits, *, production: bool) -> None:
        self.limits = limits
        self.production = production
        hidden = [NoSchemaIntrospectionCustomRule] if production else []
        self.rules = (*specified_rules, *limit_rules(limits), *hidden)
        self.parsed = lru_cache(maxsize=CACHED_DOCUMENTS)(self._parsed)
        self.costs = lru_cache(maxsize=CACHED_DOCUMENTS)(self._cost)

    def _parsed(self, query: str) -> _Document:
        return _Document(parse(query, max_tokens=self.limits.max_tokens))

    def validated(self, schema: GraphQLSchema, document: _Document) -> list[GraphQLError]:
        if document.errors is None:
            document.errors = validate_document(schema, document.node, self.rules)
        return document.errors

    def cost(
        self, schema: GraphQLSchema, document: _Document, operation_name: str | None, variables: Any
    ) -> int:
        pages = tuple((name, _int(value)) for name, value in (variables or {}).items())
        return self.costs(schema, document, operation_name, pages)

    def _cost(
        self,
        schema: GraphQLSchema,
        document: _Document,
        operation_name: str | None,
        pages: tuple[tuple[str, int | None], ...],
    ) -> int:
        return operation_cost(schema, document.node, operation_name, dict(pages))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Limited(SchemaExtension):
    """Hold one request to its schema's limits (see the module): its document parsed and
    validated from the cache, then its variables checked for a NUL and its cost reckoned before
    it runs; in production no "Did you mean ...?" in any error, wherever it stands (it maps the
    schema): validation errors carry them, and so do variables' values refused when the
    operation starts (an enum value, an input field). In development the answer's
    `extensions.cost` says what the operation came to.

    One extension for all of them, and not one each: strawberry wraps and runs every hook of
    every extension on each request (0.1 ms of an employee's 3 ms, issue 21)."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents
        self.document: _Document | None = None
        self.cost: int | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = self.documents.rules
        yield
        if self.documents.production:
            result_errors = context.result.errors if context.result else None
            for error in [*(context.pre_execution_errors or []), *(result_errors or [])]:
                error.message = _SUGGESTION.sub("", error.message)

    def on_parse(self) -> Iterator[None]:
        # Outside strawberry's own parse: a document that does not parse raises from here.
        context = self.execution_context
        self.document = self.documents.parsed(context.query)
        context.graphql_document = self.document.node
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert self.document is not None
        context.pre_execution_errors = self.documents.validated(
            context.schema._schema, self.document
        )
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None:
            refusal = variables_refusal(context.variables)
            if refusal is None and self.document is not None:
                self.cost = self.documents.cost(
                    context.schema._schema, self.document, context.operation_name, context.variables
                )
                if self.cost > self.documents.limits.max_cost:
                    refusal = self._too_costly()
            if refusal is not None:
                context.result = GraphQLExecutionResult(data=None, errors=[refusal])
        yield

    def _too_costly(self) -> GraphQLError:
        limit = self.documents.limits.max_cost
        return GraphQLError(
            f"The query may return {self.cost} objects, more than the limit of {limit}: "
            "ask for smaller pages (`first`) or fewer nested lists.",
            extensions={"code": "QUERY_TOO_COSTLY", "cost": self.cost, "limit": limit},
        )

    def get_results(self) -> dict[str, Any]:
        if self.documents.production or self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.documents.limits.max_cost}}
