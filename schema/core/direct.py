"""Fields that graphql-core resolves by calling a plain function, without strawberry's wrapping.

For a field with a resolver, strawberry builds an Info object, converts the arguments and
runs the field's extensions on every call. A field read thousands of times in one answer (the
name of each of 2,500 members) can instead give a function of (source, info) that graphql-core
calls itself: `direct(resolve, description=...)` declares it, `install` hands the functions to
graphql-core once the schema is built. Such a function takes no arguments and gets
graphql-core's own info, whose `context` is the request's Context. With `need`, the field is
refused as `guarded` refuses one (FORBIDDEN, null there) and declares the need the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter

from authz.access import Need
from schema.core.permissions import NEED, refuse, requires

Resolve = Callable[[Any, GraphQLResolveInfo], Any]
_DIRECT = "groupcover.direct"


def direct(
    resolve: Resolve,
    *,
    description: str,
    need: Need | None = None,
    reads: Callable[[Any], Any] | None = None,
) -> Any:
    """A field resolved by `resolve(source, info)`; to strawberry, an attribute that is None.
    With `need`, only callers allowed it read the field. `reads`: what `resolve` returns, as a
    function of the source alone (an attrgetter), for a caller that has no info to give."""
    metadata: dict[str, Any] = {_DIRECT: resolve, READS: reads}
    if need is not None:
        metadata.update({_DIRECT: _checking(need, resolve), NEED: need, UNCHECKED: resolve})
        description = requires(need, description)
    declared = strawberry.field(description=description, default=None, metadata=metadata)
    # Not an argument of the type's __init__: its value is never read, and a Person built for
    # each of 2,500 members paid for setting eleven Nones (0.45 us a person against 0.2).
    declared.init = False
    return declared


READS = "groupcover.direct.reads"
"""Where a field keeps its `reads` (schema.core.compiled reads such fields by it)."""
UNCHECKED = "groupcover.direct.unchecked"
"""Where a checked field keeps its function without the check, for a caller that has asked
the enforcer already (schema.core.compiled checks every need of a document once)."""


def _checking(need: Need, resolve: Resolve) -> Resolve:
    def checked(source: Any, info: GraphQLResolveInfo) -> Any:
        if not info.context.access.allows(need):
            raise refuse(need)
        return resolve(source, info)

    return checked


def install(schema: strawberry.Schema) -> strawberry.Schema:
    """Give graphql-core the function of every field declared with `direct`."""
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolve = getattr(definition, "metadata", {}).get(_DIRECT)
            if resolve is not None:
                field.resolve = resolve
    return schema
