"""Sending requests and acting on them through the API, for the workflow tests."""

from __future__ import annotations

from typing import Any

from tests.graphql import GraphQLClient, ok

REQUEST_FIELDS = """
  id type channel state submittedBy result version
  process { key version }
  tasks { id name assignee kind state decision completedBy escalatedAt overdue }
  timeline { actor action state message }
"""

SUBMIT = f"""
mutation($input: WorkflowRequestSubmitInput!) {{
  workflowRequestSubmit(input: $input) {{
    request {{ {REQUEST_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

COMPLETE = f"""
mutation($input: WorkflowTaskCompleteInput!) {{
  workflowTaskComplete(input: $input) {{
    request {{ {REQUEST_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

CANCEL = f"""
mutation($input: WorkflowRequestCancelInput!) {{
  workflowRequestCancel(input: $input) {{
    request {{ {REQUEST_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

REQUEST = f"""
query($id: ID!) {{ node(id: $id) {{ ... on WorkflowRequest {{ {REQUEST_FIELDS} }} }} }}
"""

INBOX = """
query($filter: WorkflowTaskFilter) {
  workflowTasks(filter: $filter) {
    totalCount
    edges { node { id name state overdue escalatedAt request { id type } } }
  }
}
"""


async def submit(client: GraphQLClient, **values: Any) -> dict[str, Any]:
    """The payload of a submission (errors and all)."""
    return await client.mutate(SUBMIT, {"input": values})


async def submitted(client: GraphQLClient, **values: Any) -> dict[str, Any]:
    """The request a submission made, failing on any error."""
    return ok(await submit(client, **values))["request"]


async def complete(client: GraphQLClient, task_id: str, **values: Any) -> dict[str, Any]:
    return await client.mutate(COMPLETE, {"input": {"id": task_id, **values}})


async def request(client: GraphQLClient, request_id: str) -> dict[str, Any]:
    return (await client.query(REQUEST, {"id": request_id}))["node"]


async def inbox(client: GraphQLClient, **filter: Any) -> list[dict[str, Any]]:
    data = await client.query(INBOX, {"filter": filter} if filter else {})
    return [edge["node"] for edge in data["workflowTasks"]["edges"]]


def open_task(made: dict[str, Any]) -> dict[str, Any]:
    (task,) = [t for t in made["tasks"] if t["state"] == "OPEN"]
    return task
