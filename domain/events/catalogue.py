"""Every event type a partner may receive: its name, what it means, its payload's schema.

A change's `Action` decides its event type (or that it is silent), and the changed row is
its subject. A payload holds only the fields declared for the subject's model: never a
medical field, never a column the audit trail omits (a key's hash), and the fields listed
as personal only for a reader who may read personal fields (authz PERSONAL_FIELDS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.core.changes import Action


@dataclass(frozen=True)
class Payload:
    """The fields an event about a row of one model carries, by JSON type."""

    fields: tuple[tuple[str, str], ...]
    personal: tuple[tuple[str, str], ...] = ()

    def names(self, *, personal: bool) -> tuple[str, ...]:
        """The fields a reader sees; the personal ones only when they may read them."""
        chosen = self.fields + (self.personal if personal else ())
        return tuple(name for name, _ in chosen)


def shown(subject: str, payload: dict[str, Any], *, personal: bool) -> dict[str, Any]:
    """An event's payload as a reader sees it: the feed's and a webhook's alike."""
    names = PAYLOADS[subject].names(personal=personal)
    return {key: value for key, value in payload.items() if key in names}


_TEXT, _DATE, _OPTIONAL_DATE = "string", "date", "date?"

PAYLOADS: dict[str, Payload] = {
    "GroupClient": Payload((("code", _TEXT), ("name", _TEXT), ("status", _TEXT))),
    "GroupAccount": Payload((("code", _TEXT), ("name", _TEXT), ("end_date", _OPTIONAL_DATE))),
    "InsurableClass": Payload((("code", _TEXT), ("name", _TEXT))),
    "GroupAccountProduct": Payload(()),
    "Policy": Payload(
        (
            ("number", _TEXT),
            ("status", _TEXT),
            ("start_date", _DATE),
            ("end_date", _OPTIONAL_DATE),
        ),
        personal=(("employee_number", "string?"), ("work_email", "string?")),
    ),
    "Person": Payload(
        (("person_number", _TEXT),),
        personal=(("given_name", _TEXT), ("family_name", _TEXT)),
    ),
    "Setting": Payload(
        (("kind", _TEXT), ("start_date", _OPTIONAL_DATE), ("end_date", _OPTIONAL_DATE))
    ),
    "AdjustmentPeriod": Payload(()),
    # A request's type and details may say something of someone's health: only its state.
    "WorkflowRequest": Payload((("channel", _TEXT), ("state", _TEXT))),
    "WorkflowTask": Payload((("name", _TEXT), ("state", _TEXT), ("decision", "string?"))),
}
"""Per subject model, the payload fields; a model absent here has no events."""


@dataclass(frozen=True)
class EventType:
    """One kind of event: `policy.enrolled`."""

    name: str
    subject: str
    """The model of the row the event is about."""
    description: str

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the payload (personal fields appear only for some readers)."""
        payload = PAYLOADS[self.subject]
        required = [name for name, _ in payload.fields]
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
            "type": "object",
            "properties": {name: _json(kind) for name, kind in payload.fields + payload.personal},
            "required": required,
            "additionalProperties": False,
        }


def _json(kind: str) -> dict[str, Any]:
    base = kind.rstrip("?")
    shape: dict[str, Any] = {"type": "string"}
    if base == _DATE:
        shape["format"] = "date"
    if kind.endswith("?"):
        return {"anyOf": [shape, {"type": "null"}]}
    return shape


def _type(name: str, subject: str, description: str) -> EventType:
    return EventType(name, subject, description)


_STATE = "A workflow request moved on: submitted, decided, cancelled or registered."

EVENTS: dict[Action, EventType] = {
    Action.GROUP_CLIENT_CREATE: _type(
        "group_client.created", "GroupClient", "A group client was created."
    ),
    Action.GROUP_CLIENT_UPDATE: _type(
        "group_client.changed", "GroupClient", "A group client's name or restrictions changed."
    ),
    Action.GROUP_CLIENT_MOVE: _type(
        "group_client.moved", "GroupClient", "A group client moved under another parent."
    ),
    Action.GROUP_CLIENT_DELETE: _type(
        "group_client.deleted", "GroupClient", "A group client was deleted."
    ),
    Action.GROUP_CLIENT_SUBMIT: _type(
        "group_client.approved",
        "GroupClient",
        "A group client was submitted and passed every validation rule.",
    ),
    Action.GROUP_ACCOUNT_CREATE: _type(
        "group_account.created", "GroupAccount", "A group account was created."
    ),
    Action.GROUP_ACCOUNT_UPDATE: _type(
        "group_account.changed", "GroupAccount", "A group account's name or restrictions changed."
    ),
    Action.GROUP_ACCOUNT_TERMINATE: _type(
        "group_account.terminated", "GroupAccount", "A group account was given an end date."
    ),
    Action.INSURABLE_CLASS_CREATE: _type(
        "insurable_class.created",
        "InsurableClass",
        "An insurable class was created in a group account.",
    ),
    Action.GROUP_ACCOUNT_PRODUCT_ADD: _type(
        "group_account_product.added",
        "GroupAccountProduct",
        "A product was offered in a group account.",
    ),
    Action.GROUP_ACCOUNT_PRODUCT_REMOVE: _type(
        "group_account_product.removed",
        "GroupAccountProduct",
        "A product is no longer offered in a group account.",
    ),
    Action.POLICY_ENROLL: _type(
        "policy.enrolled", "Policy", "A member was enrolled: a new policy."
    ),
    Action.POLICY_MEMBER_ADD: _type(
        "policy.member_added", "Policy", "A family member was added to a policy."
    ),
    Action.POLICY_MEMBER_REMOVE: _type(
        "policy.member_removed", "Policy", "A family member's cover on a policy ended."
    ),
    Action.POLICY_TERMINATE: _type("policy.terminated", "Policy", "A policy was terminated."),
    Action.POLICY_REINSTATE: _type(
        "policy.reinstated", "Policy", "A terminated policy was reinstated."
    ),
    Action.POLICY_MOVE: _type(
        "policy.moved", "Policy", "A policy moved to another group account or class."
    ),
    Action.POLICY_EMPLOYMENT_UPDATE: _type(
        "policy.employment_changed", "Policy", "A policy's employment data changed."
    ),
    Action.POLICY_REFUND_ACCOUNT_SET: _type(
        "policy.refund_account_changed",
        "Policy",
        "The bank account a member's refunds are paid to changed (the account is not sent).",
    ),
    Action.POLICY_PRODUCT_UPGRADE: _type(
        "policy.product_upgraded",
        "Policy",
        "A policy moved to another product or tier along its account's catalogue.",
    ),
    Action.PERSON_UPDATE: _type("person.changed", "Person", "A person's details changed."),
    Action.POLICY_CHANGE_REVERSE: _type(
        "policy.change_reversed",
        "Policy",
        "A change registered before its ratification was undone: the group's manager refused it.",
    ),
    Action.PERSON_CHANGE_REVERSE: _type("person.changed", "Person", "A person's details changed."),
    Action.SETTING_SET: _type(
        "setting.set", "Setting", "A setting was set on a group level or policy."
    ),
    Action.SETTING_REMOVE: _type("setting.removed", "Setting", "A setting was removed."),
    Action.ADJUSTMENT_PERIOD_ADD: _type(
        "adjustment_period.added",
        "AdjustmentPeriod",
        "A group account period overrides an adjustment.",
    ),
    Action.WORKFLOW_REQUEST_SUBMIT: _type(
        "workflow_request.state_changed", "WorkflowRequest", _STATE
    ),
    Action.WORKFLOW_REQUEST_CANCEL: _type(
        "workflow_request.state_changed", "WorkflowRequest", _STATE
    ),
    Action.WORKFLOW_REQUEST_REGISTER: _type(
        "workflow_request.state_changed", "WorkflowRequest", _STATE
    ),
    Action.WORKFLOW_TASK_COMPLETE: _type(
        "workflow_task.completed",
        "WorkflowTask",
        "A task of a workflow request was completed (a decision or a fulfilment).",
    ),
}

SILENT: dict[Action, str] = {
    action: "reference data, rules or access configuration: read by query, not pushed"
    for action in (
        Action.PREMIUM_SCHEDULE_CREATE,
        Action.ADJUSTMENT_RULE_CREATE,
        Action.BROKER_AGENT_CREATE,
        Action.BILLING_ACCOUNT_CREATE,
        Action.PROVIDER_GROUP_CREATE,
        Action.PRODUCT_PARAMETER_CREATE,
        Action.LINE_OF_BUSINESS_CREATE,
        Action.LINE_OF_BUSINESS_UPDATE,
        Action.DATA_ACCESS_GROUP_CREATE,
        Action.DATA_ACCESS_GROUP_UPDATE,
        Action.PRODUCT_CREATE,
        Action.PRODUCT_UPDATE,
        Action.VALIDATION_RULE_CREATE,
        Action.VALIDATION_RULE_UPDATE,
        Action.ACCESS_GRANT_ADD,
        Action.ACCESS_GRANT_REMOVE,
        Action.API_KEY_CREATE,
        Action.API_KEY_REVOKE,
        Action.PROCESS_DEFINITION_DEPLOY,
        Action.TRUSTED_DOCUMENT_ADD,
        Action.TRUSTED_DOCUMENT_REMOVE,
        Action.DYNAMIC_FIELD_DEFINE,
        Action.DYNAMIC_FIELD_UPDATE,
        Action.ACCOUNT_TEAM_CREATE,
        Action.ACCOUNT_TEAM_UPDATE,
        Action.ACCOUNT_TEAM_ASSIGN,
        Action.DRUG_ADD,
        Action.MARKET_EVENT_RECORD,
        Action.LETTER_TEMPLATE_CREATE,
        Action.LETTER_TEMPLATE_APPROVE,
        Action.WEBHOOK_ENDPOINT_CREATE,
        Action.WEBHOOK_ENDPOINT_UPDATE,
        Action.WEBHOOK_ENDPOINT_DISABLE,
        Action.WEBHOOK_DELIVERY_RETRY,
    )
}
SILENT.update(
    dict.fromkeys(
        (
            Action.PREMIUM_SCHEDULE_RATE_SET,
            Action.PREMIUM_RUN_START,
            Action.PREMIUM_RUN_CHARGE,
            Action.PREMIUM_RUN_FINISH,
        ),
        "premiums are read by query (Policy.premium, premiumRuns, bills); a billing event of "
        "their own is still to come",
    )
)
SILENT.update(
    dict.fromkeys(
        (Action.CATALOGUE_ITEM_ADD, Action.CATALOGUE_ITEM_END),
        "a group account's catalogue is configuration read by query (catalogueItems); the "
        "requests that pick from it emit their own events",
    )
)
SILENT[Action.CLAIMS_SUMMARY_LOAD] = "medical data: never pushed, read only with the claims grant"
SILENT[Action.DOCUMENT_CREATE] = (
    "a document is found by documents(filter) and its request's result; a document.created "
    "event needs the group clients of its policy as concerns, still to come with campaigns"
)
SILENT[Action.ENROLLMENT_FILE_SUBMIT] = (
    "each row a file applies emits its own event (policy.enrolled, policy.member_added...); "
    "an enrollment_file.applied event of its own is still to come"
)
SILENT[Action.EXPORT_CREATE] = (
    "an export is its requester's own file, read by query and downloaded: no one else is told"
)
SILENT[Action.ENROLLMENT_FILE_APPLY] = (
    "a large file's job applies its rows in parts; each row emits its own event"
)
SILENT.update(
    dict.fromkeys(
        (
            Action.CAMPAIGN_DEFINITION_SHIP,
            Action.CAMPAIGN_RUN_START,
            Action.CAMPAIGN_RUN_STEP,
            Action.CAMPAIGN_TASK_COMPLETE,
        ),
        "a campaign is followed on its run (campaignRuns: counts, timeline) and its tasks in "
        "the campaign inbox; its counts come from medical data, so nothing is pushed",
    )
)
SILENT[Action.DOCUMENT_PURGE] = "the end of a retention period: nothing changed for anyone"
"""Actions that emit no event, each with the reason."""


def catalogue() -> dict[str, EventType]:
    """Every event type by name (a type several actions emit appears once)."""
    return {event.name: event for event in EVENTS.values()}
