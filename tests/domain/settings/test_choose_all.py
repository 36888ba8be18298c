"""choose_all chooses once per distinct set of levels with settings, and gives each object
what choose gives it alone."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from domain.settings.effective import Chain, Level, choose, choose_all
from domain.settings.models import Setting, SettingKind, SettingLevel
from tests.domain.settings.test_effective import ORIGIN, chains


def _sharing(chain: Chain, owner: int) -> Chain:
    """The chain with its levels (the very rows) shared, and a level of no settings added,
    as chains_for makes the chains of two enrolments of one account."""
    empty = Level(chain.levels[0].level, owner) if chain.levels else None
    return Chain([*chain.levels, *([empty] if empty else [])], chain.adjustment_periods)


# No deadline: the machine is shared, and a slow example is no failure here.
@settings_(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(chains(), min_size=1, max_size=4), st.integers(-1, 32))
def test_each_object_gets_what_choose_gives_it_alone(drawn: list[Chain], n: int) -> None:
    # given chains of their own, and chains sharing their levels with another
    day = ORIGIN + timedelta(days=n)
    given_ = {i: chain for i, chain in enumerate(drawn)}
    given_ |= {100 + i: _sharing(chain, 1000 + i) for i, chain in enumerate(drawn)}
    # when
    found = choose_all(given_, day)
    # then
    assert found.keys() == given_.keys()
    assert all(found[i] == choose(chain, day) for i, chain in given_.items())


def test_objects_with_the_same_levels_share_one_choice() -> None:
    # given two enrolments of one client (its schedule), and one of another client
    L = SettingLevel
    client = Level(L.GROUP_CLIENT, 1, [Setting(kind=SettingKind.PREMIUM_SCHEDULE, id=1)])
    other = Level(L.GROUP_CLIENT, 2, [Setting(kind=SettingKind.PREMIUM_SCHEDULE, id=2)])
    given_ = {
        10: Chain([Level(L.ENROLLMENT_PRODUCT, 10), client]),
        11: Chain([Level(L.ENROLLMENT_PRODUCT, 11), client]),
        12: Chain([Level(L.ENROLLMENT_PRODUCT, 12), other]),
    }
    # when
    found = choose_all(given_, ORIGIN)
    # then
    assert found[10] is found[11]
    assert found[12].single[SettingKind.PREMIUM_SCHEDULE].owner_id == 2
