"""Random moves between accounts, then every as-of answer against a day-by-day reference.

A move on day D puts the policy in the new account for every day from D on, whatever
moves were planned after D; before D nothing changes (hypothesis).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from schema.core.relay import global_id
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok
from tests.schema.policies.enrol import TODAY, enrol

START = -60  # the policy's first day, relative to today
LAST = 60

MOVE = """
mutation Move($input: PolicyMoveInput!) {
  policyMove(input: $input) { policy { id version } errors { field code message } }
}
"""

moves = st.lists(st.tuples(st.integers(START, LAST), st.integers(0, 2)), max_size=5)


def _iso(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def _questions(asked: list[int]) -> str:
    fields = " ".join(
        f'd{i}: groupAccount(asOf: "{_iso(day)}") {{ code }}' for i, day in enumerate(asked)
    )
    return f"query($id: ID!) {{ policy(id: $id) {{ {fields} }} }}"


def _count_query(places: list[Place], day: int) -> str:
    fields = " ".join(
        f'p{i}: policies(filter: {{groupAccountId: "{global_id("GroupAccount", p.account.id)}", '
        f'asOf: "{_iso(day)}"}}) {{ totalCount }}'  # type: ignore[arg-type]
        for i, p in enumerate(places)
    )
    return f"query {{ {fields} }}"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(planned=moves, asked=st.lists(st.integers(START - 5, LAST + 5), min_size=1, max_size=6))
async def test_as_of_answers_follow_every_move(
    connection: AsyncConnection,
    sessions: async_sessionmaker[AsyncSession],
    admin: GraphQLClient,
    planned: list[tuple[int, int]],
    asked: list[int],
) -> None:
    savepoint = await connection.begin_nested()
    try:
        # given a policy in account 0 and the moves applied one after the other
        async with sessions() as session:
            book = await Book(session).setup()
            places = [await place(book, code=f"CO{i}") for i in range(3)]
        policy = await enrol(admin, places[0], startDate=_iso(START), dependants=[])
        expected = {day: 0 for day in range(START, LAST + 6)}
        for day, target in planned:
            where = places[target]
            payload = await admin.mutate(
                MOVE,
                {
                    "input": {
                        "policyId": policy["id"],
                        "version": policy["version"],
                        "date": _iso(day),
                        "groupAccountId": global_id("GroupAccount", where.account.id),  # type: ignore[arg-type]
                        "insurableClassId": global_id("InsurableClass", where.staff.id),  # type: ignore[arg-type]
                    }
                },
            )
            policy = ok(payload)["policy"]
            expected.update({d: target for d in expected if d >= day})
        # when
        found = await admin.query(_questions(asked), {"id": policy["id"]})
        counts = await admin.query(_count_query(places, asked[0]))
        # then
        for i, day in enumerate(asked):
            want = None if day < START else {"code": f"CO{expected[day]}-GA"}
            assert found["policy"][f"d{i}"] == want, (day, planned)
        in_force = asked[0] >= START
        assert [counts[f"p{i}"]["totalCount"] for i in range(3)] == [
            int(in_force and expected[asked[0]] == i) for i in range(3)
        ]
    finally:
        await savepoint.rollback()
