"""One scenario per row of the priority table, as the insurer would describe it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.settings.models import AdjustmentPeriod, AdjustmentRule
from tests.graphql import GraphQLClient
from tests.schema.policies.enrol import TODAY, days
from tests.schema.settings.conftest import Group, effective, set_


def _from(setting: dict, level: str, owner: str) -> None:  # type: ignore[type-arg]
    assert setting["source"] == {"level": level, "id": owner}, setting


async def test_the_group_has_the_standard_schedule_but_its_medical_offer_the_executive_one(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    await set_(admin, group.offer, "PREMIUM_SCHEDULE", premiumSchedule="PS-EXEC")
    await set_(admin, group.enrolment, "PREMIUM_SCHEDULE", premiumSchedule="PS-OWN")
    # then the account follows the group, the offer and its enrolment follow the offer
    account = (await effective(admin, group.account))["premiumSchedule"]
    assert account["value"] == {"code": "PS-STD"}
    _from(account, "GROUP_CLIENT", group.client)
    enrolment = (await effective(admin, group.enrolment))["premiumSchedule"]
    assert enrolment["value"] == {"code": "PS-EXEC"}
    _from(enrolment, "GROUP_ACCOUNT_PRODUCT", group.offer)


async def test_an_enrolments_own_schedule_counts_only_where_no_group_level_sets_one(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.enrolment, "PREMIUM_SCHEDULE", premiumSchedule="PS-OWN")
    # then
    found = (await effective(admin, group.enrolment))["premiumSchedule"]
    assert found["value"] == {"code": "PS-OWN"}
    _from(found, "ENROLLMENT_PRODUCT", group.enrolment)


async def test_the_account_gives_loyalty_and_the_enrolment_pays_a_fee_and_q1_is_deeper(
    admin: GraphQLClient, group: Group, session: AsyncSession
) -> None:
    # given the client's large-group discount, the account's own loyalty discount,
    # this enrolment's fee, and for this month a deeper loyalty discount on the account
    await set_(admin, group.client, "ADJUSTMENT", adjustmentRule="ADJ-SIZE")
    await set_(admin, group.account, "ADJUSTMENT", adjustmentRule="ADJ-LOYAL")
    await set_(admin, group.enrolment, "ADJUSTMENT", adjustmentRule="ADJ-FEE")
    loyal = await session.scalar(
        sa.select(AdjustmentRule).where(AdjustmentRule.code == "ADJ-LOYAL")
    )  # type: ignore[arg-type]
    session.add(
        AdjustmentPeriod(
            group_account_id=group.where.account.id,  # type: ignore[arg-type]
            adjustment_rule_id=loyal.id,  # type: ignore[union-attr]
            start_date=TODAY,
            end_date=TODAY,
            value=-10,
        )
    )
    await session.commit()
    # when
    today = (await effective(admin, group.enrolment))["adjustments"]
    tomorrow = (await effective(admin, group.enrolment, days(1)))["adjustments"]
    # then the enrolment's own and the account's apply (the account hides the client's)
    assert [(a["rule"]["code"], a["value"], a["overridden"]) for a in today] == [
        ("ADJ-FEE", "2.5000", False),
        ("ADJ-LOYAL", "-10.0000", True),
    ]
    assert [a["source"]["level"] for a in today] == ["ENROLLMENT_PRODUCT", "GROUP_ACCOUNT"]
    assert [a["value"] for a in tomorrow] == ["2.5000", "-5.0000"]


async def test_the_group_came_through_broker_a_but_this_policy_through_broker_b(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.client, "BROKER_AGENT", brokerAgent="BRK-A")
    await set_(admin, group.policy, "BROKER_AGENT", brokerAgent="BRK-B")
    # then
    assert (await effective(admin, group.account))["brokerAgent"]["value"] == {"code": "BRK-A"}
    policy = (await effective(admin, group.policy))["brokerAgent"]
    assert policy["value"] == {"code": "BRK-B"}
    _from(policy, "POLICY", group.policy)


async def test_the_group_bills_the_premium_but_this_one_policy_is_direct_billed(
    admin: GraphQLClient, group: Group
) -> None:
    # given the holding decides for its subsidiaries, and one policy is different
    await set_(admin, group.holding, "COLLECTION_SETTING", collectionSetting="GROUP_BILLED")
    await set_(admin, group.policy, "COLLECTION_SETTING", collectionSetting="DIRECT_BILLED")
    # then ACME, which sets nothing, follows its parent; the policy is direct-billed
    client = (await effective(admin, group.client))["collectionSetting"]
    assert client["value"] == "GROUP_BILLED"
    _from(client, "PARENT_GROUP_CLIENT", group.holding)
    policy = (await effective(admin, group.policy))["collectionSetting"]
    assert policy["value"] == "DIRECT_BILLED"
    _from(policy, "POLICY", group.policy)


async def test_premiums_go_to_head_office_but_this_policy_pays_its_own(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.client, "BILLING_ACCOUNT", billingAccount="BILL-HQ")
    await set_(admin, group.policy, "BILLING_ACCOUNT", billingAccount="BILL-OWN")
    # then the account does not count for a billing account: the client decides for it
    account = (await effective(admin, group.account))["billingAccount"]
    assert account["value"] == {"code": "BILL-HQ"}
    assert (await effective(admin, group.policy))["billingAccount"]["value"] == {"code": "BILL-OWN"}


async def test_one_bill_for_the_group_but_this_account_bills_per_class(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.client, "BILL_ALLOCATION", billAllocation="SINGLE_BILL")
    await set_(admin, group.account, "BILL_ALLOCATION", billAllocation="PER_INSURABLE_CLASS")
    # then
    assert (await effective(admin, group.client))["billAllocation"]["value"] == "SINGLE_BILL"
    found = (await effective(admin, group.policy))["billAllocation"]
    assert found["value"] == "PER_INSURABLE_CLASS"
    _from(found, "GROUP_ACCOUNT", group.account)


async def test_five_percent_commission_but_this_account_earns_three_and_a_half(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.client, "GROUP_COMMISSION_RATE", groupCommissionRate="5")
    await set_(admin, group.account, "GROUP_COMMISSION_RATE", groupCommissionRate="3.5")
    # then
    assert (await effective(admin, group.client))["groupCommissionRate"]["value"] == "5.0000"
    assert (await effective(admin, group.account))["groupCommissionRate"]["value"] == "3.5000"


async def test_requests_follow_the_standard_flow_but_this_policy_is_reviewed_by_hand(
    admin: GraphQLClient, group: Group
) -> None:
    # given the flow ends next week on the group
    await set_(admin, group.client, "PROCESS_FLOW", processFlow="standard", endDate=days(7))
    await set_(admin, group.policy, "PROCESS_FLOW", processFlow="manual-review")
    # then the account follows the group until then, and nothing after
    assert (await effective(admin, group.account))["processFlow"]["value"] == "standard"
    later = (await effective(admin, group.account, days(8)))["processFlow"]
    assert later == {"value": None, "source": None}
    assert (await effective(admin, group.policy))["processFlow"]["value"] == "manual-review"


async def test_the_offer_assigns_network_a_whatever_the_enrolment_says(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(admin, group.offer, "ASSIGNED_PROVIDER_GROUP", providerGroup="NET-A")
    await set_(admin, group.enrolment, "ASSIGNED_PROVIDER_GROUP", providerGroup="NET-B")
    # then
    found = (await effective(admin, group.enrolment))["assignedProviderGroup"]
    assert found["value"] == {"code": "NET-A"}
    _from(found, "GROUP_ACCOUNT_PRODUCT", group.offer)


async def test_the_offer_fixes_the_deductible_and_the_enrolment_its_copay(
    admin: GraphQLClient, group: Group
) -> None:
    # given
    await set_(
        admin, group.offer, "PARAMETER_VALUE", parameterName="DEDUCTIBLE", parameterValue="500"
    )
    for name, value in (("DEDUCTIBLE", "250"), ("COPAY", "20")):
        await set_(
            admin, group.enrolment, "PARAMETER_VALUE", parameterName=name, parameterValue=value
        )
    # then
    found = (await effective(admin, group.enrolment))["parameterValues"]
    assert [(p["name"], p["value"], p["source"]["level"]) for p in found] == [
        ("COPAY", "20", "ENROLLMENT_PRODUCT"),
        ("DEDUCTIBLE", "500", "GROUP_ACCOUNT_PRODUCT"),
    ]


async def test_nothing_set_anywhere_answers_null_values_and_sources(
    admin: GraphQLClient, group: Group
) -> None:
    found = await effective(admin, group.enrolment)
    assert found["premiumSchedule"] == {"value": None, "source": None}
    assert found["collectionSetting"] == {"value": None, "source": None}
    assert found["adjustments"] == [] and found["parameterValues"] == []
