"""No answer ever gives away what is known of a person outside the caller's reach.

Hypothesis draws three employers (each a group client with one account, its policies in a
data access group of its own), persons insured by them, some of them shared (the subscriber
of one employer's policy and a dependant on another's), employer data on each policy
(employee number, work e-mail, salary), and certificate requests sent by the subscribers.
A random caller (a group manager or partner of one employer, a back office of one data
access group, a reporting user, or an employee) then reads everything it can ask for and
tries every write that names a person it cannot see: by id, by national id and birth date, and
through a workflow request. `Oracle` restates who is in reach in plain Python:

- A person is in reach when they are insured on a policy the caller may read AND the caller
  may read personal fields (reporting never may): a manager's or partner's policies are their
  employer's; a back office's those of its data access group; an employee's their own.
- A policy's employer data is in reach when the policy is.

The check: no answer's text holds a personal field (names, national id, e-mail, phone, birth
date, or the age-limit date a birth date gives away) of a person out of reach, nor the employer
data of a policy out of reach, except what the caller itself sent in that request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from api.jobs import InProcess
from authz.principal import Principal, Role
from domain.policies.ages import age_limit_end
from domain.policies.models import (
    EnrollmentProduct,
    Gender,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyMember,
    Relationship,
)
from domain.reference.models import CoverageTier
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, place
from tests.graphql import GraphQLClient

EMPLOYERS = ("EMP0", "EMP1", "EMP2")
START = date(2025, 6, 1)
CHILD_MAX_AGE = 26

READS = """
query Everything {
  policies(first: 100) { totalCount edges { node {
    number employment { employeeNumber workEmail salary }
    members { relationship ageLimitDate person {
      personNumber givenName familyName birthDate nationalId email phone } } } } }
  workflowRequests(first: 100) { edges { node { details result timeline { message } } } }
}
"""

PERSON_NODE = """
query Person($id: ID!) {
  node(id: $id) { ... on Person { givenName familyName birthDate nationalId email phone } }
}
"""

SEARCH = """
query Search($search: String!) {
  policies(first: 100, filter: {search: $search}) {
    totalCount edges { node { number members { person { givenName familyName } } } } }
}
"""

MEMBER_ADD = """
mutation Add($input: PolicyMemberAddInput!) {
  policyMemberAdd(input: $input) {
    policy { members { person { givenName familyName birthDate nationalId email } } }
    errors { field message code }
  }
}
"""

PERSON_UPDATE = """
mutation Update($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { givenName familyName } errors { field message code } }
}
"""

SUBMIT = """
mutation Submit($input: WorkflowRequestSubmitInput!) {
  workflowRequestSubmit(input: $input) {
    request { state details result timeline { message } }
    errors { field message code }
  }
}
"""


@dataclass(frozen=True)
class PersonDraft:
    employer: int
    """The employer whose policy this person subscribes to."""
    shared_with: int | None
    """Another employer on one of whose policies this person is also a dependant."""
    birth_year: int
    birth_day: int


@dataclass(frozen=True)
class Caller:
    role: Role
    employer: int
    """The employer a manager or partner is granted, or a back office's data access group's."""
    person: int
    """The person an employee is (their index among the persons)."""


@dataclass(frozen=True)
class Scenario:
    persons: tuple[PersonDraft, ...]
    dags: tuple[str, str, str]
    """Each employer's policies' data access group."""
    caller: Caller


def _scenarios() -> st.SearchStrategy[Scenario]:
    persons = st.lists(
        st.builds(
            PersonDraft,
            employer=st.integers(0, 2),
            shared_with=st.none() | st.integers(0, 2),
            birth_year=st.integers(1950, 1968),
            birth_day=st.integers(1, 360),
        ),
        min_size=2,
        max_size=5,
    )
    dags = st.tuples(*(st.sampled_from(("EU", "US")) for _ in EMPLOYERS))
    return persons.flatmap(
        lambda drawn: st.builds(
            Scenario,
            persons=st.just(tuple(drawn)),
            dags=dags,
            caller=st.builds(
                Caller,
                role=st.sampled_from(
                    (
                        Role.GROUP_MANAGER,
                        Role.PARTNER,
                        Role.BACKOFFICE,
                        Role.REPORTING,
                        Role.EMPLOYEE,
                    )
                ),
                employer=st.integers(0, 2),
                person=st.integers(0, len(drawn) - 1),
            ),
        )
    )


def _births(drafts: tuple[PersonDraft, ...]) -> list[date]:
    """Distinct birth dates in 1950-1969, so that no person's birth date, nor the age-limit
    date it gives away (1976-1995), stands for another person's."""
    births: list[date] = []
    for draft in drafts:
        born = date(draft.birth_year, 1, 1) + timedelta(days=draft.birth_day)
        while born in births:
            born += timedelta(days=1)
        births.append(born)
    return births


@dataclass
class Written:
    person_ids: list[int]
    person_numbers: list[str]
    births: list[date]
    policy_ids: list[int]
    """Each person's own policy (they subscribe to it), by person index."""
    policy_versions: list[int]


def _secrets(index: int) -> dict[str, str]:
    """A person's personal fields: tokens found nowhere else in any answer."""
    return {
        "given": f"Gvn{index:02d}q",
        "family": f"Fam{index:02d}w",
        "national_id": f"NI{index:02d}XZ",
        "email": f"home{index:02d}@example.org",
        "phone": f"+4930{index:02d}7788",
    }


def _employment(index: int) -> dict[str, str]:
    return {
        "number": f"EMPNO{index:02d}K",
        "email": f"work{index:02d}@corp.example",
        "salary": f"{71000 + index * 137}.45",
    }


async def _write(session: AsyncSession, book: Book, scenario: Scenario) -> Written:
    places = [await place(book, code=code) for code in EMPLOYERS]
    dags = {"EU": book.dag_eu.id, "US": book.dag_us.id}
    written = Written([], [], [], [], [])
    births = _births(scenario.persons)
    for i, draft in enumerate(scenario.persons):
        secret = _secrets(i)
        person = Person(
            person_number=f"PN-ORACLE-{i}",
            given_name=secret["given"],
            family_name=secret["family"],
            birth_date=births[i],
            gender=Gender.UNKNOWN,
            national_id=secret["national_id"],
            email=secret["email"],
            phone=secret["phone"],
        )
        session.add(person)
        await session.flush()
        job = _employment(i)
        policy = Policy(
            number=f"POL-ORACLE-{i}",
            subscriber_id=person.id,  # type: ignore[arg-type]
            line_of_business_id=book.health.id,  # type: ignore[arg-type]
            data_access_group_id=dags[scenario.dags[draft.employer]],
            start_date=START,
            employee_number=job["number"],
            work_email=job["email"],
            salary=Decimal(job["salary"]),
            salary_currency="EUR",
        )
        session.add(policy)
        await session.flush()
        session.add_all(
            [
                PolicyMember(
                    policy_id=policy.id,
                    person_id=person.id,  # type: ignore[arg-type]
                    relationship=Relationship.SUBSCRIBER,
                    start_date=START,
                ),
                PolicyAccountLink(
                    policy_id=policy.id,
                    group_account_id=places[draft.employer].account.id,  # type: ignore[arg-type]
                    start_date=START,
                ),
                EnrollmentProduct(
                    policy_id=policy.id,
                    product_id=book.medical.id,  # type: ignore[arg-type]
                    coverage_tier=CoverageTier.FAMILY,
                    start_date=START,
                ),
            ]
        )
        written.person_ids.append(person.id)  # type: ignore[arg-type]
        written.person_numbers.append(person.person_number)
        written.births.append(person.birth_date)
        written.policy_ids.append(policy.id)  # type: ignore[arg-type]
    await session.flush()
    for i, draft in enumerate(scenario.persons):
        host = _host_policy(scenario, draft.shared_with, i)
        if host is not None:
            session.add(
                PolicyMember(
                    policy_id=written.policy_ids[host],
                    person_id=written.person_ids[i],
                    relationship=Relationship.OTHER_DEPENDANT,
                    start_date=START,
                )
            )
    await session.commit()
    written.policy_versions = [1] * len(written.policy_ids)
    return written


def _host_policy(scenario: Scenario, employer: int | None, index: int) -> int | None:
    """The first policy of `employer` whose subscriber is someone else, if any."""
    if employer is None:
        return None
    for j, other in enumerate(scenario.persons):
        if j != index and other.employer == employer:
            return j
    return None


class Oracle:
    """Who is in the caller's reach, restated without SQL."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        caller = scenario.caller
        drafts = scenario.persons
        if caller.role in (Role.GROUP_MANAGER, Role.PARTNER):
            self.policies = {i for i, d in enumerate(drafts) if d.employer == caller.employer}
        elif caller.role is Role.BACKOFFICE:
            dag = _caller_dag(scenario)
            self.policies = {i for i, d in enumerate(drafts) if scenario.dags[d.employer] == dag}
        elif caller.role is Role.EMPLOYEE:
            self.policies = {caller.person}
        else:
            self.policies = set()  # reporting reads policies, never personal fields
        self.persons = set(self.policies)
        for i, draft in enumerate(drafts):
            host = _host_policy(scenario, draft.shared_with, i)
            if host in self.policies:
                self.persons.add(i)

    def secrets_out_of_reach(self, written: Written) -> set[str]:
        """Every text that must appear in no answer."""
        hidden: set[str] = set()
        for i in range(len(self.scenario.persons)):
            if i not in self.persons:
                born = written.births[i]
                hidden |= set(_secrets(i).values())
                hidden |= {born.isoformat(), age_limit_end(born, CHILD_MAX_AGE).isoformat()}
            if i not in self.policies:
                hidden |= set(_employment(i).values())
        return hidden


def _caller_dag(scenario: Scenario) -> str:
    return scenario.dags[scenario.caller.employer]


def _principal(scenario: Scenario, written: Written) -> Principal:
    caller = scenario.caller
    if caller.role in (Role.GROUP_MANAGER, Role.PARTNER):
        return Principal(
            subject="oracle",
            roles=frozenset({caller.role}),
            groups=frozenset({EMPLOYERS[caller.employer]}),
        )
    if caller.role in (Role.BACKOFFICE, Role.REPORTING):
        dags = frozenset(
            {_caller_dag(scenario)} if caller.role is Role.BACKOFFICE else {"EU", "US"}
        )
        return Principal(
            subject="oracle",
            roles=frozenset({caller.role}),
            data_access_groups=dags,
            lines_of_business=frozenset({"HEALTH"}),
        )
    return Principal(
        subject="oracle",
        roles=frozenset({Role.EMPLOYEE}),
        person=written.person_numbers[caller.person],
    )


async def _send_certificates(http: AsyncClient, runner: InProcess, written: Written) -> None:
    """Each subscriber asks for a certificate of their policy; the insurer registers them."""
    for number, policy_id in zip(written.person_numbers, written.policy_ids, strict=True):
        employee = GraphQLClient(
            http,
            token_for(
                Principal(subject=f"emp-{number}", roles=frozenset({Role.EMPLOYEE}), person=number)
            ),
        )
        payload = await employee.mutate(
            SUBMIT,
            {
                "input": {
                    "type": "CERTIFICATE",
                    "channel": "EMPLOYEE",
                    "policyId": global_id("Policy", policy_id),
                }
            },
        )
        assert payload["errors"] == [], payload["errors"]
    await runner.drain()


async def _answers(
    caller: GraphQLClient, scenario: Scenario, written: Written, oracle: Oracle
) -> list[tuple[str, set[str]]]:
    """Every answer the caller gets, each with the texts the caller itself sent."""
    answers = [(json.dumps(await caller.raw(READS)), set())]
    own = next(iter(sorted(oracle.policies)), 0)
    for i, person_id in enumerate(written.person_ids):
        if i in oracle.persons:
            continue
        person = global_id("Person", person_id)
        secret = _secrets(i)
        answers.append((json.dumps(await caller.raw(PERSON_NODE, {"id": person})), set()))
        answers.append(
            (json.dumps(await caller.raw(SEARCH, {"search": secret["given"]})), {secret["given"]})
        )
        policy = global_id("Policy", written.policy_ids[own])
        by_id = {
            "policyId": policy,
            "version": 1,
            "relationship": "OTHER_DEPENDANT",
            "personId": person,
        }
        answers.append((json.dumps(await caller.raw(MEMBER_ADD, {"input": by_id})), set()))
        typed = {
            "givenName": "Typed",
            "familyName": "Bytheattacker",
            "birthDate": written.births[i].isoformat(),
            "gender": "UNKNOWN",
            "nationalId": secret["national_id"],
        }
        by_national_id = {
            "policyId": policy,
            "version": 1,
            "relationship": "OTHER_DEPENDANT",
            "person": typed,
        }
        sent = {
            typed["birthDate"],
            secret["national_id"],
            age_limit_end(written.births[i], CHILD_MAX_AGE).isoformat(),
        }
        answers.append((json.dumps(await caller.raw(MEMBER_ADD, {"input": by_national_id})), sent))
        update = {"id": person, "version": 1, "phone": "+49301234567"}
        answers.append((json.dumps(await caller.raw(PERSON_UPDATE, {"input": update})), set()))
        request = {
            "type": "ENROLMENT",
            "channel": _channel(scenario.caller.role),
            "policyId": policy,
            "dependants": [{"personId": person, "relationship": "OTHER_DEPENDANT"}],
            "lifeEvent": "OTHER",
            "eventDate": date.today().isoformat(),
        }
        answers.append((json.dumps(await caller.raw(SUBMIT, {"input": request})), set()))
    return answers


def _channel(role: Role) -> str:
    return {
        Role.GROUP_MANAGER: "GROUP_PORTAL",
        Role.PARTNER: "PARTNER",
        Role.EMPLOYEE: "EMPLOYEE",
    }.get(role, "BACK_OFFICE")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=_scenarios())
async def test_no_answer_holds_personal_data_out_of_the_callers_reach(
    connection: AsyncConnection,
    sessions: async_sessionmaker[AsyncSession],
    http: AsyncClient,
    runner: InProcess,
    scenario: Scenario,
) -> None:
    # Each example writes inside a savepoint of its own and rolls it back.
    savepoint = await connection.begin_nested()
    try:
        # given
        async with sessions() as session:
            book = await Book(session).setup()
            written = await _write(session, book, scenario)
        await _send_certificates(http, runner, written)
        oracle = Oracle(scenario)
        caller = GraphQLClient(http, token_for(_principal(scenario, written)))
        # when
        answers = await _answers(caller, scenario, written, oracle)
        # then
        reads = answers[0][0]
        for i in oracle.persons:  # what is in reach is there: the reads did run
            assert _secrets(i)["given"] in reads, (scenario.caller, i, reads[:2000])
        hidden = oracle.secrets_out_of_reach(written)
        for text, sent in answers:
            leaked = {secret for secret in hidden - sent if secret in text}
            assert not leaked, (scenario.caller, leaked, text[:2000])
    finally:
        await savepoint.rollback()
