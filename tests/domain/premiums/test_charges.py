"""Runs write differences only: after any sequence of retroactive changes, the charges of a
month add up to what a fresh calculation finds, and no charge is ever edited."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.premiums.charges import Key, Target, differences, in_force
from domain.premiums.models import PremiumCharge, PremiumRun

KEYS = [
    (policy, product, account) for policy in (1, 2) for product in (10, 11) for account in (5, 6)
]

states = st.dictionaries(
    st.sampled_from(KEYS),
    st.builds(
        lambda amount, share, billing: Target(1, billing, "EUR", amount, share, amount - share),
        st.decimals(min_value=-500, max_value=500, places=2),
        st.decimals(min_value=0, max_value=100, places=2),
        st.sampled_from([None, 7]),
    ),
)


def _run(
    ids: count[int], run_id: int, written: list[PremiumCharge], wanted: dict[Key, Target]
) -> int:
    """One run: write the differences, giving each new charge an id; return how many."""
    run = PremiumRun(id=run_id, period="2027-01", group_client_id=1, started_by="t")
    added = differences(run, wanted, in_force(written), [])
    for charge in added:
        charge.id = next(ids)
    written.extend(added)
    return len(added)


# No deadline: the machine is shared, and a slow example is no failure here.
@settings(deadline=None)
@given(st.lists(states, min_size=1, max_size=6))
def test_charges_after_any_sequence_of_changes_sum_to_a_fresh_calculation(
    sequence: list[dict[Key, Target]],
) -> None:
    # given
    ids, written = count(1), []  # type: ignore[var-annotated]
    snapshots: dict[int, tuple[Decimal, Decimal]] = {}
    # when one run after each change
    for run_id, wanted in enumerate(sequence, start=1):
        _run(ids, run_id, written, wanted)
        for charge in written:
            snapshots.setdefault(charge.id, (charge.amount, charge.employer_amount))  # type: ignore[arg-type]
    # then the sums by key are the last calculation's
    last = sequence[-1]
    for key in KEYS:
        rows = [c for c in written if (c.policy_id, c.product_id, c.group_account_id) == key]
        due = last[key].amount if key in last else Decimal(0)
        assert sum((c.amount for c in rows), Decimal(0)) == due
    # no charge was edited, and a run with nothing changed adds nothing
    assert all(snapshots[c.id] == (c.amount, c.employer_amount) for c in written)  # type: ignore[index]
    assert _run(ids, 99, written, last) == 0


def test_a_products_unpriced_this_time_keeps_its_charge() -> None:
    written: list[PremiumCharge] = []
    ids = count(1)
    key = KEYS[0]
    _run(ids, 1, written, {key: Target(1, None, "EUR", Decimal(10), Decimal(10), Decimal(0))})
    run = PremiumRun(id=2, period="2027-01", group_client_id=1, started_by="t")
    problem = {"policy_id": key[0], "product_id": key[1], "group_account_id": key[2]}
    assert differences(run, {}, in_force(written), [problem]) == []
