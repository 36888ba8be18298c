"""Limits on what one GraphQL document may ask, after the OWASP GraphQL cheat sheet.

Each is a validation rule or a parser option, so a document over a limit is refused before
anything runs, with a message that says which limit and by how much.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import ASTValidationRule, GraphQLError, ValidationRule
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

CACHED_DOCUMENTS = 1000
"""Distinct documents whose parse and validation each process keeps (least recently used go)."""


@dataclass(frozen=True)
class QueryLimits:
    """The most one document may hold (GROUPCOVER_MAX_DEPTH, ..._MAX_ALIASES, ...)."""

    max_depth: int = 24
    max_aliases: int = 30
    max_tokens: int = 3000
    max_directives: int = 20


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


_SUGGESTION = re.compile(r" Did you mean .*\?$")


class NoSuggestions(SchemaExtension):
    """Leave "Did you mean ...?" out of validation errors: it would map the schema."""

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or []:
            error.message = _SUGGESTION.sub("", error.message)


def limit_rules(limits: QueryLimits) -> list[type[ASTValidationRule]]:
    """The validation rules of the depth, alias and directive limits (tokens: a parser option)."""
    return [
        query_depth_limiter.create_validator(limits.max_depth, None),
        max_aliases.create_validator(limits.max_aliases),
        _directive_limit(limits.max_directives),
    ]


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
    ]
    if production:
        extensions += [DisableIntrospection, NoSuggestions]
    return extensions
