"""Choosing each effective setting: one pure function over the loaded levels of an object.

The priority table (most specific first) is the insurer's, after Oracle Health Insurance:

| setting                 | levels, most specific first                                  |
| ----------------------- | ------------------------------------------------------------ |
| premium schedule        | group account product, group account, group client, enrolment |
| adjustments             | the enrolment's, AND the first group level that has any of:  |
|                         | group account product, group account, group client           |
| broker agent            | policy, group account, group client                          |
| collection setting      | policy, group account, group client, parents up the tree     |
| billing account         | policy, group client                                         |
| bill allocation         | group account, group client                                  |
| group commission rate   | group account, group client                                  |
| process flow            | policy, group client                                         |
| assigned provider group | group account product, enrolment                             |
| parameter value         | group account product, enrolment (per parameter name)        |
| employer contribution   | group account, group client, parents up the tree             |

A group account's adjustment period overrides a rule's value for its dates.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.core.periods import holds
from domain.settings.models import AdjustmentPeriod, Setting, SettingKind, SettingLevel

L = SettingLevel
PRIORITY: dict[SettingKind, tuple[SettingLevel, ...]] = {
    SettingKind.PREMIUM_SCHEDULE: (
        L.GROUP_ACCOUNT_PRODUCT,
        L.GROUP_ACCOUNT,
        L.GROUP_CLIENT,
        L.ENROLLMENT_PRODUCT,
    ),
    SettingKind.BROKER_AGENT: (L.POLICY, L.GROUP_ACCOUNT, L.GROUP_CLIENT),
    SettingKind.COLLECTION_SETTING: (
        L.POLICY,
        L.GROUP_ACCOUNT,
        L.GROUP_CLIENT,
        L.PARENT_GROUP_CLIENT,
    ),
    SettingKind.BILLING_ACCOUNT: (L.POLICY, L.GROUP_CLIENT),
    SettingKind.BILL_ALLOCATION: (L.GROUP_ACCOUNT, L.GROUP_CLIENT),
    SettingKind.GROUP_COMMISSION_RATE: (L.GROUP_ACCOUNT, L.GROUP_CLIENT),
    SettingKind.PROCESS_FLOW: (L.POLICY, L.GROUP_CLIENT),
    SettingKind.ASSIGNED_PROVIDER_GROUP: (L.GROUP_ACCOUNT_PRODUCT, L.ENROLLMENT_PRODUCT),
    SettingKind.PARAMETER_VALUE: (L.GROUP_ACCOUNT_PRODUCT, L.ENROLLMENT_PRODUCT),
    # The employer's share of the premium, a percentage: a company sets it for its whole
    # tree, a subsidiary or an account may differ (domain.premiums splits each line by it).
    SettingKind.EMPLOYER_CONTRIBUTION: (L.GROUP_ACCOUNT, L.GROUP_CLIENT, L.PARENT_GROUP_CLIENT),
}
ADJUSTMENT_GROUP_LEVELS = (L.GROUP_ACCOUNT_PRODUCT, L.GROUP_ACCOUNT, L.GROUP_CLIENT)
SINGLE = tuple(kind for kind in PRIORITY if kind is not SettingKind.PARAMETER_VALUE)


def settable_levels(kind: SettingKind) -> tuple[SettingLevel, ...]:
    """The levels a setting of `kind` may be set on (a parent is a group client too)."""
    if kind is SettingKind.ADJUSTMENT:
        return (L.ENROLLMENT_PRODUCT, *ADJUSTMENT_GROUP_LEVELS)
    return tuple(level for level in PRIORITY[kind] if level is not L.PARENT_GROUP_CLIENT)


@dataclass(frozen=True)
class Level:
    """One level of an object's chain: who it is, and the settings set on it."""

    level: SettingLevel
    owner_id: int
    settings: Sequence[Setting] = ()


@dataclass(frozen=True)
class Chain:
    """An object's levels, most specific first, parents nearest first, and the adjustment
    periods of the group account in it (if any)."""

    levels: Sequence[Level]
    adjustment_periods: Sequence[AdjustmentPeriod] = ()


@dataclass(frozen=True)
class Chosen:
    """A setting's effective row and the level it came from."""

    setting: Setting
    level: SettingLevel
    owner_id: int


@dataclass(frozen=True)
class ChosenAdjustment(Chosen):
    """An adjustment that applies, with the account period overriding its value, if any."""

    period: AdjustmentPeriod | None = None


@dataclass(frozen=True)
class Effective:
    """Every effective setting of an object on a day."""

    single: dict[SettingKind, Chosen] = field(default_factory=dict)
    adjustments: list[ChosenAdjustment] = field(default_factory=list)
    parameters: dict[str, Chosen] = field(default_factory=dict)


def _set_on(level: Level, kind: SettingKind, day: date) -> list[Setting]:
    return [s for s in level.settings if s.kind == kind and holds(s, day)]


def choose(chain: Chain, day: date) -> Effective:
    """Every effective setting of the chain's object on `day`, with where it came from."""
    effective = Effective()
    for kind in SINGLE:
        for wanted in PRIORITY[kind]:
            found = _first(chain, kind, wanted, day)
            if found is not None:
                effective.single[kind] = found
                break
    effective.adjustments.extend(_adjustments(chain, day))
    for wanted in reversed(PRIORITY[SettingKind.PARAMETER_VALUE]):  # the first level wins
        for level in (lv for lv in chain.levels if lv.level is wanted):
            for setting in _set_on(level, SettingKind.PARAMETER_VALUE, day):
                effective.parameters[setting.parameter_name or ""] = Chosen(
                    setting, level.level, level.owner_id
                )
    return effective


def choose_all(chains: Mapping[int, Chain], day: date) -> dict[int, Effective]:
    """`choose` for many objects, once per distinct set of levels with settings: most of an
    account's enrolments have only their client's and account's (2,000 enrolments of the
    synthetic book spread over all its 1,000 clients have 1,097 sets), and choosing cost
    more than everything else done to price one. The objects of one set share an Effective,
    which no one changes."""
    chosen: dict[Hashable, Effective] = {}
    found: dict[int, Effective] = {}
    for i, chain in chains.items():
        key = _signature(chain)
        effective = chosen.get(key)
        if effective is None:
            effective = chosen[key] = choose(chain, day)
        found[i] = effective
    return found


def _signature(chain: Chain) -> Hashable:
    """What `choose` reads of a chain: its levels with settings (the very sequences, alive
    while the chains are) and its adjustment periods."""
    return (
        tuple((lv.level, lv.owner_id, id(lv.settings)) for lv in chain.levels if lv.settings),
        id(chain.adjustment_periods) if chain.adjustment_periods else None,
    )


def _first(chain: Chain, kind: SettingKind, wanted: SettingLevel, day: date) -> Chosen | None:
    for level in chain.levels:
        if level.level is wanted:
            found = _set_on(level, kind, day)
            if found:
                return Chosen(found[0], level.level, level.owner_id)
    return None


def _adjustments(chain: Chain, day: date) -> list[ChosenAdjustment]:
    """The enrolment's adjustments, and those of the first group level that has any."""
    chosen: list[ChosenAdjustment] = []
    for wanted in (L.ENROLLMENT_PRODUCT, *ADJUSTMENT_GROUP_LEVELS):
        found = [
            (level, setting)
            for level in chain.levels
            if level.level is wanted
            for setting in _set_on(level, SettingKind.ADJUSTMENT, day)
        ]
        chosen.extend(
            ChosenAdjustment(setting, level.level, level.owner_id, _period(chain, setting, day))
            for level, setting in found
        )
        if found and wanted is not L.ENROLLMENT_PRODUCT:
            break
    return chosen


def _period(chain: Chain, setting: Setting, day: date) -> AdjustmentPeriod | None:
    return next(
        (
            p
            for p in chain.adjustment_periods
            if p.adjustment_rule_id == setting.adjustment_rule_id and holds(p, day)
        ),
        None,
    )
