"""Sending a file as the GraphQL multipart request spec says, with httpx."""

from __future__ import annotations

import json
from typing import Any

from httpx import AsyncClient, Response

SUBMIT = """
mutation Submit($input: EnrollmentFileSubmitInput!) {
  enrollmentFileSubmit(input: $input) {
    enrollmentFile {
      id state dryRun receivedPolicies receivedMembers appliedRows unchangedRows refusedRows
      errors { field code message }
      rows { line employeeNumber outcome errors { field code } policy { number } }
    }
    errors { field code message }
  }
}
"""


async def submit(
    http: AsyncClient, token: str, data: bytes, *, name: str = "census.csv", **given: Any
) -> Response:
    """POST the mutation with `data` as the input's file: operations, map, then the file."""
    variables = {"input": {"format": "CSV", "file": None, **given}}
    return await http.post(
        "/graphql",
        headers={"Authorization": f"Bearer {token}"},
        data={
            "operations": json.dumps({"query": SUBMIT, "variables": variables}),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (name, data, "text/csv")},
    )


async def submitted(http: AsyncClient, token: str, data: bytes, **given: Any) -> dict[str, Any]:
    """The payload of a submission that ran, failing on a top-level error."""
    response = await submit(http, token, data, **given)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]["enrollmentFileSubmit"]  # type: ignore[no-any-return]
