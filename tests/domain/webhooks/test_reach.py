"""A webhook carries what its owner may see when it is sent: a partner hears of its own group
clients only, and a reader who may not read personal fields gets none."""

from __future__ import annotations

import json

from authz.access import EVENTS_READ, PERSONAL_FIELDS, Actor, RowScope
from authz.principal import Principal, Role
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.core.transactions import atomic
from domain.events.models import DomainEvent
from domain.webhooks import service
from domain.webhooks.fanout import body, owner_access
from domain.webhooks.models import WebhookEndpoint
from tests.domain.events.test_outbox import _client
from tests.domain.webhooks.conftest import LOCAL, Sessions, endpoint, rename, sender
from tests.receiver import receiving

PARTNER = Principal("partner-7", frozenset({Role.PARTNER}), groups=frozenset({"REACH-A"}))
PARTNER_ACTOR = Actor(
    subject="partner-7", scope=RowScope(subtrees=frozenset({"REACH-A"}), subject="partner-7")
)


async def test_a_partner_s_endpoint_hears_only_of_its_own_group_clients(
    sessions: Sessions,
) -> None:
    # given a partner of REACH-A (and what lies below it), and a changes to it and to REACH-B
    mine, theirs = await _client(sessions, "REACH-A"), await _client(sessions, "REACH-B")
    async with receiving() as receiver:
        _, receiver.secret = await endpoint(
            sessions, receiver.url, owner=PARTNER, actor=PARTNER_ACTOR, codes=["REACH-A"]
        )
        await rename(sessions, theirs, "Not yours")
        await rename(sessions, mine, "Yours")
        # when sent
        await sender(sessions).drain()
    # then only its own client's event arrived
    assert receiver.payloads() == [{"code": "REACH-A", "name": "Yours", "status": "CHANGED"}]


async def test_a_partner_may_not_name_another_tenant_s_client_nor_none(sessions: Sessions) -> None:
    await _client(sessions, "REACH-C")
    for codes, field in ((["REACH-C"], ("group_client_codes", "0")), ([], ("group_client_codes",))):
        # when a partner of REACH-A names REACH-C, or nothing
        async with sessions() as session:
            try:
                async with atomic(session):
                    await service.create_endpoint(
                        session,
                        actor=PARTNER_ACTOR,
                        owner=PARTNER,
                        given=service.EndpointInput(
                            url="http://127.0.0.1:9/x", event_types=[], group_client_codes=codes
                        ),
                        rules=LOCAL,
                    )
            except DomainError as error:
                problems = [(p.field, p.code) for p in error.problems]
            else:
                problems = []
        # then it is refused naming the field, as for a client that does not exist
        assert problems[0][0] == field
        assert problems[0][1] in (ErrorCode.NOT_FOUND, ErrorCode.REQUIRED)


async def test_an_owner_who_may_not_read_personal_fields_gets_none(sessions: Sessions) -> None:
    # given an endpoint whose owner is a reporting user (no field:personal), and an event
    # about a policy with an employee number
    reporting = Principal(
        "report-1",
        frozenset({Role.REPORTING}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    endpoint_id, _ = await endpoint(sessions, "http://127.0.0.1:9/x")
    event = DomainEvent(
        id=1,
        type="policy.enrolled",
        occurred_at=utcnow(),
        actor="admin-1",
        subject_type="Policy",
        subject_id=1,
        sequence=1,
        payload={"number": "P-1", "status": "ACTIVE", "employee_number": "E-7"},
    )
    async with sessions() as session:
        row = await session.get_one(WebhookEndpoint, endpoint_id)
        row.principal, row.owner = service.owner_json(reporting), reporting.subject
        # when its owner's reach is worked out and the body built, as a delivery does
        access = await owner_access(session, row)
    personal = access.allows(PERSONAL_FIELDS)
    sent = json.loads(body(event, personal=personal))["data"]["payload"]
    # then the employee number is withheld; an admin's endpoint gets it
    assert sent == {"number": "P-1", "status": "ACTIVE"}
    assert json.loads(body(event, personal=True))["data"]["payload"]["employee_number"] == "E-7"
    assert access.scope(EVENTS_READ).restrictions and not access.scope(EVENTS_READ).everything
