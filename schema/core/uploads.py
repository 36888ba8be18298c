"""Files sent with a mutation by the GraphQL multipart request spec (strawberry's `Upload`)."""

from __future__ import annotations

from typing import Any

from domain.core.errors import DomainError, ErrorCode


async def uploaded(file: Any) -> bytes:
    """The bytes of an uploaded file; refused as REQUIRED when the request sent no file."""
    if not hasattr(file, "read"):  # a JSON body can only send text in its place
        raise DomainError.of(
            "file",
            ErrorCode.REQUIRED,
            "Send the file in a multipart request (GraphQL multipart request spec), not as a "
            "value in JSON.",
        )
    return bytes(await file.read())
