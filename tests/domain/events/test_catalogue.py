"""The event catalogue: every action has an event type or is silent, with a reason, and a
payload holds only declared columns of its subject, never one the audit trail omits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from domain.core.changes import Action
from domain.core.reach import entity
from domain.database import all_models
from domain.events.catalogue import EVENTS, PAYLOADS, SILENT, catalogue
from domain.events.reach import DELETIONS


def _model(name: str) -> type:
    all_models()
    return next(m.class_ for m in SQLModel._sa_registry.mappers if m.class_.__name__ == name)


def test_every_action_has_an_event_type_or_is_explicitly_silent() -> None:
    assert set(EVENTS) | set(SILENT) == set(Action)
    assert not set(EVENTS) & set(SILENT)
    assert all(reason for reason in SILENT.values())


def test_event_types_are_named_entity_dot_past_tense_and_described() -> None:
    for name, event in catalogue().items():
        entity_part, _, happened = name.partition(".")
        assert entity_part and happened and name == name.lower(), name
        assert event.description.endswith("."), name
        assert event.subject in PAYLOADS, name
    assert {"policy.enrolled", "policy.member_added", "policy.terminated"} <= catalogue().keys()
    assert {"group_client.created", "group_client.approved", "group_client.changed"} <= set(
        catalogue()
    )
    assert set(DELETIONS) <= catalogue().keys()


def test_a_payload_names_only_columns_of_its_subject_and_never_an_omitted_one() -> None:
    for subject, payload in PAYLOADS.items():
        model = _model(subject)
        columns = {attr.key for attr in sa.inspect(model).column_attrs}
        names = set(payload.names(personal=True))
        assert names <= columns, subject
        assert not names & entity(model).omit, subject
        assert not names & {"details", "diagnosis", "national_id", "salary"}, subject


def test_each_type_has_a_json_schema_of_its_payload() -> None:
    schema = catalogue()["policy.enrolled"].schema()
    assert schema["type"] == "object"
    assert schema["required"] == ["number", "status", "start_date", "end_date"]
    assert schema["properties"]["employee_number"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }
    assert schema["additionalProperties"] is False
