"""Every role against every query and mutation: who may call what, as one table to review.

The table is written by hand from `authz/policy.csv` and the `guarded(NEED, ...)` declared on
each field (not computed from casbin: a reviewer reads it against the policy):

| need            | allowed roles                                            |
| --------------- | -------------------------------------------------------- |
| groups:read     | admin, backoffice, group_manager, partner, reporting     |
| groups:write    | admin, backoffice                                        |
| policies:read   | every role (employee: own policy; reporting: no persons' fields) |
| policies:write  | admin, backoffice, group_manager                         |
| settings:read   | admin, backoffice, group_manager, partner, reporting     |
| settings:write  | admin, backoffice                                        |
| rules:read      | admin, backoffice                                        |
| rules:write     | admin                                                    |
| reference:read  | every role                                               |
| vendors:read    | admin, vendor (its own figures)                          |
| audit:read      | admin                                                    |
| events:read     | every role (the events about rows the role reads)        |
| workflow:read   | every role (employee: requests about them; none about health for managers; vendor: its work) |
| workflow:submit | admin, backoffice, group_manager, employee, partner (each on its channel) |
| workflow:act    | admin, backoffice, group_manager, vendor (its work's back-office tasks) |
| workflow:deploy | admin                                                    |
| access:read     | admin                                                    |
| access:write    | admin                                                    |
| documents:read  | admin, backoffice, group_manager, employee (their documents' policies) |
| documents:issue | admin, backoffice, group_manager, employee               |
| templates:read  | admin, backoffice                                        |
| templates:write | admin, backoffice                                        |
| templates:approve | admin (not the template's author)                      |
| reports:read    | admin, backoffice, group_manager, partner, reporting     |
| reports:export  | admin, backoffice, group_manager, partner, reporting (AUDIT_EVENTS: admin) |
| premiums:read   | every role (employee: own policy's premium and charges)  |
| premiums:run    | admin, backoffice (runs, rates, a group account's catalogue) |
| campaigns:follow | admin, backoffice, group_manager (their clients' counts and opt-ins) |
| campaigns:act   | admin, backoffice (elections), group_manager (opt-ins)   |
| (none: `node`)  | every role; null for a row or type the role cannot read  |
| (none: `me`)    | every role: who they are, and what of it is in their reach |

A FORBIDDEN call answers a top-level error with code FORBIDDEN at the field, the field's
data null, and changes nothing. An ALLOWED call answers no top-level error; the caller's
grants put the rows it names in scope, so an allowed mutation succeeds and is audited.
A second, shorter table has allowed roles acting on rows OUTSIDE their grants: those are
refused inside the payload, exactly as an unknown row or a placement they may not make.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import EVERYTHING, NOTHING, WORKFLOW_SUBMIT, Access, Actor
from authz.principal import GrantKind, Principal, Role
from domain.access.models import AccessGrant, ApiKey
from domain.audit.models import AuditEvent
from domain.campaigns import market, runs
from domain.campaigns.models import (
    AccountTeam,
    CampaignDefinition,
    CampaignTask,
    ClaimsSummary,
    Drug,
    MarketEventKind,
)
from domain.catalogue.models import CatalogueItem, ItemKind
from domain.documents.models import DocumentKind, LetterTemplate
from domain.dynamic.models import DynamicField, FieldTarget, FieldType
from domain.events.models import DomainEvent
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupAccountProductClass,
    GroupClient,
    InsurableClass,
)
from domain.policies.limits import PolicyLimits, utc_today
from domain.policies.models import (
    EnrollmentProduct,
    Gender,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    PolicyStatus,
    Relationship,
)
from domain.premiums.models import PremiumCharge, PremiumRun
from domain.reference.models import (
    CoverageTier,
    DataAccessGroup,
    LineOfBusiness,
    Product,
    ProductCoverageTier,
)
from domain.settings.models import (
    AdjustmentKind,
    AdjustmentPeriod,
    AdjustmentRule,
    BillingAccount,
    BrokerAgent,
    PremiumRate,
    PremiumSchedule,
    ProductParameter,
    ProviderGroup,
    Setting,
    SettingKind,
)
from domain.validation.models import RuleLevel, Severity, ValidationRule
from domain.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from domain.webhooks.service import new_secret, owner_json
from domain.workflow import definitions
from domain.workflow import submit as workflow
from domain.workflow.engine import shipped
from domain.workflow.models import (
    Channel,
    ProcessDefinition,
    RequestType,
    WorkflowEvent,
    WorkflowRequest,
    WorkflowTask,
)
from schema.core.relay import global_id
from schema.root import schema
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient, answer


class Outcome(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    HIDDEN = "hidden"
    """Allowed, no error, but the field answers null: the role cannot read what it names."""
    PARTIAL = "partial"
    """Allowed and answered, but fields below it the role may not read are FORBIDDEN (a
    vendor's `me { policies }`: a vendor reads no policy)."""


A, F, H, P = Outcome.ALLOWED, Outcome.FORBIDDEN, Outcome.HIDDEN, Outcome.PARTIAL

ROLES = ("admin", "backoffice", "group_manager", "employee", "partner", "reporting")

# Aligned by hand so that each column is one role; ruff format would undo the alignment.
# fmt: off
MATRIX: dict[str, tuple[Outcome, ...]] = {
    # operation                  admin backoffice group_manager employee partner reporting  need
    "node":                      (A,   A,         A,            H,       A,      A),      # none
    "me":                        (A,   A,         A,            A,       A,      A),      # none
    "groupClient":               (A,   A,         A,            F,       A,      A),      # groups:read
    "groupClients":              (A,   A,         A,            F,       A,      A),      # groups:read
    "groupAccount":              (A,   A,         A,            F,       A,      A),      # groups:read
    "linesOfBusiness":           (A,   A,         A,            A,       A,      A),      # reference:read
    "dataAccessGroups":          (A,   A,         A,            A,       A,      A),      # reference:read
    "products":                  (A,   A,         A,            A,       A,      A),      # reference:read
    "auditEvents":               (A,   F,         F,            F,       F,      F),      # audit:read
    "events":                    (A,   A,         A,            A,       A,      A),      # events:read
    "accessGrants":              (A,   F,         F,            F,       F,      F),      # access:read
    "apiKeys":                   (A,   F,         F,            F,       F,      F),      # access:read
    "groupClientCreate":         (A,   A,         F,            F,       F,      F),      # groups:write
    "groupClientUpdate":         (A,   A,         F,            F,       F,      F),      # groups:write
    "groupClientMove":           (A,   A,         F,            F,       F,      F),      # groups:write
    "groupClientDelete":         (A,   A,         F,            F,       F,      F),      # groups:write
    "groupAccountCreate":        (A,   A,         F,            F,       F,      F),      # groups:write
    "groupAccountUpdate":        (A,   A,         F,            F,       F,      F),      # groups:write
    "insurableClassCreate":      (A,   A,         F,            F,       F,      F),      # groups:write
    "groupAccountProductAdd":    (A,   A,         F,            F,       F,      F),      # groups:write
    "groupAccountProductRemove": (A,   A,         F,            F,       F,      F),      # groups:write
    "accessGrantAdd":            (A,   F,         F,            F,       F,      F),      # access:write
    "accessGrantRemove":         (A,   F,         F,            F,       F,      F),      # access:write
    "apiKeyCreate":              (A,   F,         F,            F,       F,      F),      # access:write
    "apiKeyRevoke":              (A,   F,         F,            F,       F,      F),      # access:write
    "policy":                    (A,   A,         A,            A,       A,      A),      # policies:read
    "policies":                  (A,   A,         A,            A,       A,      A),      # policies:read
    "person":                    (A,   A,         A,            A,       A,      A),      # policies:read
    "groupClientFhirBundle":     (A,   A,         A,            H,       A,      A),      # policies:read
    "groupClientX12File":        (A,   A,         A,            H,       A,      A),      # policies:read
    "policyEnroll":              (A,   A,         A,            F,       F,      F),      # policies:write
    "policyMemberAdd":           (A,   A,         A,            F,       F,      F),      # policies:write
    "policyMemberRemove":        (A,   A,         A,            F,       F,      F),      # policies:write
    "policyTerminate":           (A,   A,         A,            F,       F,      F),      # policies:write
    "policyReinstate":           (A,   A,         A,            F,       F,      F),      # policies:write
    "policyMove":                (A,   A,         A,            F,       F,      F),      # policies:write
    "personUpdate":              (A,   A,         A,            F,       F,      F),      # policies:write
    "policyEmploymentUpdate":    (A,   A,         A,            F,       F,      F),      # policies:write
    "groupAccountTerminate":     (A,   A,         F,            F,       F,      F),      # groups:write
    "settingSet":                (A,   A,         F,            F,       F,      F),      # settings:write
    "settingRemove":             (A,   A,         F,            F,       F,      F),      # settings:write
    "validationRules":           (A,   A,         F,            F,       F,      F),      # rules:read
    "validationRuleCreate":      (A,   F,         F,            F,       F,      F),      # rules:write
    "validationRuleUpdate":      (A,   F,         F,            F,       F,      F),      # rules:write
    "groupClientValidate":       (A,   A,         F,            F,       F,      F),      # groups:write
    "groupClientSubmit":         (A,   A,         F,            F,       F,      F),      # groups:write
    "settingsReferenceData":     (A,   A,         A,            F,       A,      A),      # settings:read
    "brokerAgentCreate":         (A,   A,         F,            F,       F,      F),      # settings:write
    "billingAccountCreate":      (A,   A,         F,            F,       F,      F),      # settings:write
    "providerGroupCreate":       (A,   A,         F,            F,       F,      F),      # settings:write
    "premiumScheduleCreate":     (A,   A,         F,            F,       F,      F),      # settings:write
    "adjustmentRuleCreate":      (A,   A,         F,            F,       F,      F),      # settings:write
    "productParameterCreate":    (A,   A,         F,            F,       F,      F),      # settings:write
    "adjustmentPeriodAdd":       (A,   A,         F,            F,       F,      F),      # settings:write
    "lineOfBusinessCreate":      (A,   F,         F,            F,       F,      F),      # reference:write
    "lineOfBusinessUpdate":      (A,   F,         F,            F,       F,      F),      # reference:write
    "dataAccessGroupCreate":     (A,   F,         F,            F,       F,      F),      # reference:write
    "dataAccessGroupUpdate":     (A,   F,         F,            F,       F,      F),      # reference:write
    "productCreate":             (A,   F,         F,            F,       F,      F),      # reference:write
    "productUpdate":             (A,   F,         F,            F,       F,      F),      # reference:write
    "workflowRequests":          (A,   A,         A,            A,       A,      A),      # workflow:read
    "workflowTasks":             (A,   A,         A,            F,       F,      F),      # workflow:act
    "processDefinitions":        (A,   F,         F,            F,       F,      F),      # workflow:deploy
    "workflowRequestSubmit":     (A,   A,         A,            A,       A,      F),      # workflow:submit
    "workflowRequestCancel":     (A,   A,         A,            A,       A,      F),      # workflow:submit
    "workflowTaskComplete":      (A,   A,         A,            F,       F,      F),      # workflow:act
    "processDefinitionDeploy":   (A,   F,         F,            F,       F,      F),      # workflow:deploy
    "enrollmentFiles":           (A,   A,         A,            A,       A,      A),      # policies:read
    "enrollmentFileSubmit":      (A,   A,         A,            F,       A,      F),      # intake:submit
    "dynamicFieldDefinitions":   (A,   A,         A,            A,       A,      A),      # reference:read
    "dynamicFieldDefine":        (A,   F,         F,            F,       F,      F),      # reference:write
    "dynamicFieldUpdate":        (A,   F,         F,            F,       F,      F),      # reference:write
    "accountTeams":              (A,   A,         F,            F,       F,      F),      # campaigns:read
    "marketEvents":              (A,   A,         F,            F,       F,      F),      # campaigns:read
    "claimsSummaries":           (A,   A,         F,            F,       F,      F),      # claims:read
    "accountTeamCreate":         (A,   A,         F,            F,       F,      F),      # campaigns:write
    "accountTeamUpdate":         (A,   A,         F,            F,       F,      F),      # campaigns:write
    "accountTeamAssign":         (A,   A,         F,            F,       F,      F),      # groups:write
    "claimsSummaryLoad":         (A,   A,         F,            F,       F,      F),      # claims:write
    "marketEventRecord":         (A,   A,         F,            F,       F,      F),      # campaigns:write
    "campaignRuns":              (A,   A,         A,            F,       F,      F),      # campaigns:follow
    "campaignTasks":             (A,   A,         A,            F,       F,      F),      # campaigns:follow
    "campaignTaskComplete":      (A,   A,         A,            F,       F,      F),      # campaigns:act
    "webhookEndpoints":          (A,   F,         F,            F,       A,      F),      # webhooks:read
    "webhookDeliveries":         (A,   F,         F,            F,       A,      F),      # webhooks:read
    "webhookEndpointCreate":     (A,   F,         F,            F,       A,      F),      # webhooks:write
    "webhookEndpointUpdate":     (A,   F,         F,            F,       A,      F),      # webhooks:write
    "webhookEndpointDisable":    (A,   F,         F,            F,       A,      F),      # webhooks:write
    "webhookDeliveryRetry":      (A,   F,         F,            F,       A,      F),      # webhooks:write
    "documents":                 (A,   A,         A,            A,       F,      F),      # documents:read
    "policyIdCardIssue":         (A,   A,         A,            A,       F,      F),      # documents:issue
    "billDocumentIssue":         (A,   A,         A,            A,       F,      F),      # documents:issue
    "letterTemplates":           (A,   A,         F,            F,       F,      F),      # templates:read
    "letterTemplateCreate":      (A,   A,         F,            F,       F,      F),      # templates:write
    "letterTemplateApprove":     (A,   F,         F,            F,       F,      F),      # templates:approve
    "membershipStats":           (A,   A,         A,            F,       A,      A),      # reports:read
    "workflowStats":             (A,   A,         A,            F,       A,      A),      # reports:read
    "exports":                   (A,   A,         A,            F,       A,      A),      # reports:export
    "exportCreate":              (A,   A,         A,            F,       A,      A),      # reports:export
    "premiumScheduleRateSet":    (A,   A,         F,            F,       F,      F),      # premiums:run
    "premiumRunStart":           (A,   A,         F,            F,       F,      F),      # premiums:run
    "premiumRuns":               (A,   A,         A,            A,       A,      A),      # premiums:read
    "bills":                     (A,   A,         A,            A,       A,      A),      # premiums:read
    "catalogueItemAdd":          (A,   A,         F,            F,       F,      F),      # premiums:run
    "catalogueItemEnd":          (A,   A,         F,            F,       F,      F),      # premiums:run
    "catalogueItems":            (A,   A,         A,            A,       A,      A),      # premiums:read
    "vendorStats":               (A,   F,         F,            F,       F,      F),      # vendors:read
}
# The vendor's column, apart from the aligned table and joined to it below: what a vendor
# may call; every other operation is refused it, as casbin refuses what it does not list.
VENDOR: dict[str, Outcome] = {
    "node": H, "me": P, "linesOfBusiness": A, "dataAccessGroups": A, "products": A,
    "dynamicFieldDefinitions": A, "workflowRequests": A, "workflowTasks": A,
    "workflowTaskComplete": A, "vendorStats": A,
}
ROLES = (*ROLES, "vendor")
MATRIX = {operation: (*outcomes, VENDOR.get(operation, F)) for operation, outcomes in MATRIX.items()}
# Mutations that change nothing, so write no audit event.
UNAUDITED = {"groupClientValidate"}
# Mutations that write more than one audit event.
AUDITED = {"marketEventRecord": 2}
"""The event, and the run it starts of the campaign the world's events shipped already."""
# fmt: on

ROOT = "ROOT"

PRINCIPALS = {
    "admin": Principal("admin-1", frozenset({Role.ADMIN})),
    "backoffice": Principal(
        "bo-1",
        frozenset({Role.BACKOFFICE}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    ),
    "group_manager": Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({ROOT})),
    "employee": Principal("emp-1", frozenset({Role.EMPLOYEE}), person="P-1"),
    "partner": Principal("partner-1", frozenset({Role.PARTNER}), groups=frozenset({ROOT})),
    "reporting": Principal(
        "rep-1",
        frozenset({Role.REPORTING}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    ),
    "vendor": Principal("vendor-1", frozenset({Role.VENDOR})),
}
"""The vendor's grants are stored (World): ROOT's service purchases."""


@dataclass
class World:
    """The rows every case works on; all but the US ones are in every non-admin role's grants.

    ROOT (EU, HEALTH)
    |-- CHILD            (EU, HEALTH)
    |-- LEAF             (EU, HEALTH; no children, no accounts: deletable)
    |-- account ROOT-STAFF (EU, HEALTH; class C0; offers MED-PPO)
    |     |-- policy P-ROOT (EU, HEALTH): subscriber P-1 (the employee), a child
    |     `-- policy P-DONE (EU, HEALTH): terminated yesterday
    |-- account ROOT-OTHER (EU, HEALTH; class C0; offers MED-PPO; no policies)
    `-- account ROOT-US    (US, HEALTH: outside the backoffice's and reporting's grants)
    US-CO (US, HEALTH: outside every non-admin role's grants)
    """

    root: GroupClient
    child: GroupClient
    leaf: GroupClient
    account: GroupAccount
    us_account: GroupAccount
    us_client: GroupClient
    grant: AccessGrant
    api_key: ApiKey
    other_account: GroupAccount
    policy: Policy
    terminated: Policy
    subscriber: Person
    kid: Person
    account_class: InsurableClass
    other_class: InsurableClass
    setting: Setting
    rule: ValidationRule
    requests: dict[str, str]
    """Requests each role sent (`sent-by-<role>`), by global id."""
    tasks: dict[str, str]
    """Open tasks of the employee's requests: `manager` (an approval), `review` (medical),
    `outsourced` (a service purchase's registration: the vendor's)."""
    dental: Product
    """A product nobody offers (DEN-BASIC)."""
    field: DynamicField
    """A dynamic field on policies (`region`)."""
    template: LetterTemplate
    """A draft letter template the back office wrote."""
    endpoint: WebhookEndpoint
    """The partner's webhook endpoint for ROOT."""
    delivery: WebhookDelivery
    """A delivery to it that gave up (DEAD)."""
    item: CatalogueItem
    """A service ROOT-STAFF's catalogue offers (GYM)."""
    bill: str
    """The key of this month's bill of P-ROOT (ROOT-STAFF is billed per employee)."""
    campaign_tasks: dict[str, str]
    """Open campaign tasks of ROOT by name: its team's `election`, its managers' `opt_in`."""


@dataclass(frozen=True)
class Operation:
    """One query or mutation: its document and the variables it is called with."""

    document: str
    variables: Callable[[World], dict[str, Any]] = lambda _world: {}
    by_role: Callable[[World, str], dict[str, Any]] | None = None
    """Variables that depend on the caller too (its channel, its own request)."""
    upload: bytes | None = None
    """A file sent as `$input.file` by the GraphQL multipart request spec."""

    def variables_for(self, world: World, role: str) -> dict[str, Any]:
        return self.by_role(world, role) if self.by_role else self.variables(world)

    @property
    def is_mutation(self) -> bool:
        return self.document.lstrip().startswith("mutation")


def _mutation(name: str, input_type: str, result: str) -> str:
    return f"""
mutation Run($input: {input_type}!) {{
  {name}(input: $input) {{ {result} errors {{ field code }} }}
}}
"""


def _client(row: GroupClient) -> str:
    return global_id("GroupClient", row.id)  # type: ignore[arg-type]


def _account(row: GroupAccount) -> str:
    return global_id("GroupAccount", row.id)  # type: ignore[arg-type]


def _id(type_name: str, row: Any) -> str:
    return global_id(type_name, row.id)


def _today() -> str:
    return utc_today().isoformat()


def _service(account: str) -> dict[str, Any]:
    """A new service for a group account's catalogue."""
    return {
        "groupAccountId": account, "kind": "SERVICE", "code": "SPA", "name": "Spa",
        "price": "80.00", "employerShare": "0.00", "currency": "EUR", "startDate": _today(),
    }  # fmt: skip


def _person(name: str) -> dict[str, Any]:
    return {"givenName": name, "familyName": "Roe", "birthDate": "1980-05-01", "gender": "FEMALE"}


def _policy_ref(policy: Policy) -> dict[str, Any]:
    return {"policyId": _id("Policy", policy), "version": policy.version}


def _reference(name: str, input_type: str, code: str) -> Operation:
    return Operation(
        _mutation(name, input_type, "code"),
        lambda _: {"input": {"code": code, "name": f"{code} name"}},
    )


def _rule(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "level": "GROUP_CLIENT",
        "sequence": 1,
        "condition": {"fact": "code", "op": "eq", "value": "NO-SUCH"},
        "message": "Never fires.",
        "severity": "ERROR",
    }


def _team() -> dict[str, Any]:
    return {"name": "Team", "email": "team@insurer.example", "members": ["bo-1"]}


def _in_a_month() -> str:
    return (datetime.now(UTC) + timedelta(days=30)).isoformat()


OPERATIONS: dict[str, Operation] = {
    "me": Operation("query Run { me { subject policies { number } } }"),
    "node": Operation(
        "query Run($id: ID!) { node(id: $id) { id } }", lambda w: {"id": _client(w.root)}
    ),
    "groupClient": Operation(
        "query Run($code: String!) { groupClient(code: $code) { code } }", lambda _: {"code": ROOT}
    ),
    "groupClients": Operation("query Run { groupClients { totalCount } }"),
    "groupAccount": Operation(
        "query Run($code: String!) { groupAccount(code: $code) { code } }",
        lambda _: {"code": "ROOT-STAFF"},
    ),
    "linesOfBusiness": Operation("query Run { linesOfBusiness { code } }"),
    "dataAccessGroups": Operation("query Run { dataAccessGroups { code } }"),
    "products": Operation("query Run { products { code } }"),
    "auditEvents": Operation("query Run { auditEvents { totalCount } }"),
    "events": Operation("query Run { events(first: 5) { totalCount } }"),
    "accessGrants": Operation("query Run { accessGrants { totalCount } }"),
    "apiKeys": Operation("query Run { apiKeys { totalCount } }"),
    "groupClientCreate": Operation(
        _mutation("groupClientCreate", "GroupClientCreateInput", "groupClient { code }"),
        lambda w: {
            "input": {
                "code": "NEW-CO",
                "name": "New company",
                "parentId": _client(w.root),
                "lineOfBusiness": "HEALTH",
                "dataAccessGroup": "EU",
            }
        },
    ),
    "groupClientUpdate": Operation(
        _mutation("groupClientUpdate", "GroupClientUpdateInput", "groupClient { name }"),
        lambda w: {"input": {"id": _client(w.root), "version": w.root.version, "name": "Renamed"}},
    ),
    "groupClientMove": Operation(
        _mutation("groupClientMove", "GroupClientMoveInput", "groupClient { parent { code } }"),
        lambda w: {"input": {"id": _client(w.leaf), "newParentId": _client(w.child)}},
    ),
    "groupClientDelete": Operation(
        _mutation("groupClientDelete", "GroupClientDeleteInput", "deletedId"),
        lambda w: {"input": {"id": _client(w.leaf)}},
    ),
    "groupAccountCreate": Operation(
        _mutation("groupAccountCreate", "GroupAccountCreateInput", "groupAccount { code }"),
        lambda w: {
            "input": {
                "groupClientId": _client(w.child),
                "code": "NEW-ACC",
                "name": "New account",
                "dataAccessGroup": "EU",
            }
        },
    ),
    "groupAccountUpdate": Operation(
        _mutation("groupAccountUpdate", "GroupAccountUpdateInput", "groupAccount { name }"),
        lambda w: {
            "input": {"id": _account(w.account), "version": w.account.version, "name": "Renamed"}
        },
    ),
    "insurableClassCreate": Operation(
        _mutation("insurableClassCreate", "InsurableClassCreateInput", "insurableClass { code }"),
        lambda w: {
            "input": {"groupAccountId": _account(w.account), "code": "EXEC", "name": "Executives"}
        },
    ),
    "groupAccountProductAdd": Operation(
        _mutation(
            "groupAccountProductAdd",
            "GroupAccountProductAddInput",
            "groupAccountProduct { product { code } }",
        ),
        lambda w: {"input": {"groupAccountId": _account(w.account), "productCode": "DEN-BASIC"}},
    ),
    "groupAccountProductRemove": Operation(
        _mutation(
            "groupAccountProductRemove", "GroupAccountProductRemoveInput", "groupAccount { code }"
        ),
        # ROOT-OTHER: the product is offered and nobody is enrolled in it
        lambda w: {
            "input": {"groupAccountId": _account(w.other_account), "productCode": "MED-PPO"}
        },
    ),
    "accessGrantAdd": Operation(
        _mutation("accessGrantAdd", "AccessGrantAddInput", "accessGrant { subject }"),
        lambda _: {
            "input": {
                "subject": "bo-2",
                "role": "BACKOFFICE",
                "kind": "DATA_ACCESS_GROUP",
                "code": "EU",
            }
        },
    ),
    "accessGrantRemove": Operation(
        _mutation("accessGrantRemove", "AccessGrantRemoveInput", "removedId"),
        lambda w: {"input": {"id": global_id("AccessGrant", w.grant.id)}},  # type: ignore[arg-type]
    ),
    "apiKeyCreate": Operation(
        _mutation("apiKeyCreate", "ApiKeyCreateInput", "apiKey { name } key"),
        lambda _: {
            "input": {"name": "broker-x", "groupClientCodes": [ROOT], "expiresAt": _in_a_month()}
        },
    ),
    "apiKeyRevoke": Operation(
        _mutation("apiKeyRevoke", "ApiKeyRevokeInput", "apiKey { name }"),
        lambda w: {"input": {"id": global_id("ApiKey", w.api_key.id)}},  # type: ignore[arg-type]
    ),
    "policy": Operation(
        'query Run { policy(number: "P-ROOT") { number } }',
    ),
    "policies": Operation("query Run { policies { totalCount } }"),
    "groupClientX12File": Operation(
        "query Run($code: String!, $day: Date!) { groupClientX12File(code: $code, asOf: $day) }",
        lambda _: {"code": ROOT, "day": date.today().isoformat()},
    ),
    "groupClientFhirBundle": Operation(
        "query Run($code: String!, $day: Date!) { groupClientFhirBundle(code: $code, asOf: $day) }",
        lambda _: {"code": ROOT, "day": date.today().isoformat()},
    ),
    "person": Operation(
        "query Run($id: ID!) { person(id: $id) { personNumber } }",
        lambda w: {"id": _id("Person", w.subscriber)},
    ),
    "policyEnroll": Operation(
        _mutation("policyEnroll", "PolicyEnrollInput", "policy { number }"),
        lambda w: {
            "input": {
                "groupAccountId": _account(w.account),
                "insurableClassId": _id("InsurableClass", w.account_class),
                "startDate": _today(),
                "subscriber": {"person": _person("Ann")},
                "products": [{"productCode": "MED-PPO", "coverageTier": "EMPLOYEE_ONLY"}],
            }
        },
    ),
    "policyMemberAdd": Operation(
        _mutation("policyMemberAdd", "PolicyMemberAddInput", "policy { number }"),
        lambda w: {
            "input": {
                **_policy_ref(w.policy),
                "person": _person("Sam"),
                "relationship": "SPOUSE",
                "coverageTier": "FAMILY",
            }
        },
    ),
    "policyMemberRemove": Operation(
        _mutation("policyMemberRemove", "PolicyMemberRemoveInput", "policy { number }"),
        lambda w: {
            "input": {
                **_policy_ref(w.policy),
                "personId": _id("Person", w.kid),
                "endDate": _today(),
                "coverageTier": "EMPLOYEE_ONLY",
            }
        },
    ),
    "policyTerminate": Operation(
        _mutation("policyTerminate", "PolicyTerminateInput", "policy { status }"),
        lambda w: {"input": {**_policy_ref(w.policy), "endDate": _today()}},
    ),
    "policyReinstate": Operation(
        _mutation("policyReinstate", "PolicyReinstateInput", "policy { status }"),
        lambda w: {"input": _policy_ref(w.terminated)},
    ),
    "policyMove": Operation(
        _mutation("policyMove", "PolicyMoveInput", "policy { number }"),
        lambda w: {
            "input": {
                **_policy_ref(w.policy),
                "date": _today(),
                "groupAccountId": _account(w.other_account),
                "insurableClassId": _id("InsurableClass", w.other_class),
            }
        },
    ),
    "personUpdate": Operation(
        _mutation("personUpdate", "PersonUpdateInput", "person { personNumber }"),
        lambda w: {
            "input": {
                "id": _id("Person", w.subscriber),
                "version": w.subscriber.version,
                "email": "p1@example.com",
            }
        },
    ),
    "policyEmploymentUpdate": Operation(
        _mutation("policyEmploymentUpdate", "PolicyEmploymentUpdateInput", "policy { number }"),
        lambda w: {"input": {**_policy_ref(w.policy), "workEmail": "p1@work.example"}},
    ),
    "settingSet": Operation(
        _mutation("settingSet", "SettingSetInput", "settingId"),
        lambda w: {
            "input": {
                "ownerId": _client(w.root),
                "kind": "BILL_ALLOCATION",
                "billAllocation": "SINGLE_BILL",
            }
        },
    ),
    "settingRemove": Operation(
        _mutation("settingRemove", "SettingRemoveInput", "removedId"),
        lambda w: {"input": {"id": _id("Setting", w.setting)}},
    ),
    "settingsReferenceData": Operation(
        "query Run { settingsReferenceData { brokerAgents { code } } }"
    ),
    "brokerAgentCreate": _reference("brokerAgentCreate", "BrokerAgentCreateInput", "BRK"),
    "billingAccountCreate": _reference("billingAccountCreate", "BillingAccountCreateInput", "BIL"),
    "providerGroupCreate": _reference("providerGroupCreate", "ProviderGroupCreateInput", "NET"),
    "premiumScheduleCreate": Operation(
        _mutation("premiumScheduleCreate", "PremiumScheduleCreateInput", "code"),
        lambda _: {
            "input": {
                "code": "PS-1",
                "name": "Standard",
                "currency": "EUR",
                "rates": [
                    {"ageFrom": 0, "ageTo": 99, "coverageTier": "FAMILY", "amount": "100.00"}
                ],
            }
        },
    ),
    "adjustmentRuleCreate": Operation(
        _mutation("adjustmentRuleCreate", "AdjustmentRuleCreateInput", "code"),
        lambda _: {"input": {"code": "A-1", "name": "Loyal", "kind": "PERCENTAGE", "value": "-5"}},
    ),
    "productParameterCreate": Operation(
        _mutation("productParameterCreate", "ProductParameterCreateInput", "code"),
        lambda _: {"input": {"productCode": "MED-PPO", "name": "DEDUCTIBLE"}},
    ),
    "lineOfBusinessCreate": Operation(
        _mutation("lineOfBusinessCreate", "LineOfBusinessCreateInput", "lineOfBusiness { code }"),
        lambda _: {"input": {"code": "DENTAL", "name": "Group dental"}},
    ),
    "lineOfBusinessUpdate": Operation(
        _mutation("lineOfBusinessUpdate", "LineOfBusinessUpdateInput", "lineOfBusiness { code }"),
        lambda _: {"input": {"code": "LIFE", "name": "Life", "version": 1}},
    ),
    "dataAccessGroupCreate": Operation(
        _mutation(
            "dataAccessGroupCreate", "DataAccessGroupCreateInput", "dataAccessGroup { code }"
        ),
        lambda _: {"input": {"code": "APAC", "name": "Asia-Pacific"}},
    ),
    "dataAccessGroupUpdate": Operation(
        _mutation(
            "dataAccessGroupUpdate", "DataAccessGroupUpdateInput", "dataAccessGroup { code }"
        ),
        lambda _: {"input": {"code": "US", "name": "United States", "version": 1}},
    ),
    "productCreate": Operation(
        _mutation("productCreate", "ProductCreateInput", "product { code }"),
        lambda _: {
            "input": {
                "code": "VIS-1",
                "name": "Vision",
                "kind": "VISION",
                "lineOfBusiness": "HEALTH",
                "coverageTiers": ["FAMILY"],
            }
        },
    ),
    "productUpdate": Operation(
        _mutation("productUpdate", "ProductUpdateInput", "product { code }"),
        lambda w: {"input": {"id": _id("Product", w.dental), "version": 1, "name": "Dental"}},
    ),
    "adjustmentPeriodAdd": Operation(
        _mutation("adjustmentPeriodAdd", "AdjustmentPeriodAddInput", "code"),
        lambda w: {
            "input": {
                "groupAccountId": _account(w.account),
                "adjustmentRule": "ADJ-W",
                "startDate": _today(),
                "value": "-1",
            }
        },
    ),
    "workflowRequests": Operation("query Run { workflowRequests { totalCount } }"),
    "enrollmentFiles": Operation("query Run { enrollmentFiles(first: 5) { totalCount } }"),
    "membershipStats": Operation(
        "query Run($asOf: Date!) { membershipStats(asOf: $asOf, groupBy: [GROUP_ACCOUNT]) "
        "{ members } }",
        lambda _: {"asOf": _today()},
    ),
    "workflowStats": Operation(
        "query Run($from: Date!, $to: Date!) { workflowStats(from: $from, to: $to) { submitted } }",
        lambda _: {"from": _today(), "to": _today()},
    ),
    "vendorStats": Operation(
        "query Run($from: Date!, $to: Date!) { vendorStats(from: $from, to: $to) { done } }",
        lambda _: {"from": _today(), "to": _today()},
    ),
    "exports": Operation("query Run { exports(first: 5) { totalCount } }"),
    "exportCreate": Operation(
        _mutation("exportCreate", "ExportCreateInput", "export { state }"),
        lambda _: {"input": {"kind": "POLICIES", "format": "CSV"}},
    ),
    "enrollmentFileSubmit": Operation(
        _mutation("enrollmentFileSubmit", "EnrollmentFileSubmitInput", "enrollmentFile { state }"),
        lambda w: {"input": {"groupClientId": _client(w.root), "format": "CSV", "dryRun": True}},
        upload=(
            "employee_number,relationship,given_name,family_name,birth_date,gender,"
            "account_code,class_code,product_code,coverage_tier,start_date\n"
            f"W-1,SUBSCRIBER,Wendy,Doe,1980-01-01,FEMALE,ROOT-STAFF,C0,MED-PPO,EMPLOYEE_ONLY,"
            f"{datetime.now(UTC).date().isoformat()}\n"
        ).encode(),
    ),
    "dynamicFieldDefinitions": Operation(
        "query Run { dynamicFieldDefinitions(target: POLICY) { code } }"
    ),
    "dynamicFieldDefine": Operation(
        _mutation("dynamicFieldDefine", "DynamicFieldDefineInput", "dynamicField { code }"),
        lambda _: {
            "input": {
                "target": "GROUP_CLIENT",
                "code": "tier",
                "valueType": "TEXT",
                "rules": {"label": "Tier"},
            }
        },
    ),
    "dynamicFieldUpdate": Operation(
        _mutation("dynamicFieldUpdate", "DynamicFieldUpdateInput", "dynamicField { code }"),
        lambda w: {
            "input": {"id": _id("DynamicField", w.field), "version": 1, "rules": {"label": "R"}}
        },
    ),
    "accountTeams": Operation("query Run { accountTeams { code } }"),
    "marketEvents": Operation("query Run { marketEvents { kind } }"),
    "claimsSummaries": Operation(
        "query Run($id: ID!) { claimsSummaries(personId: $id) { fills12Months } }",
        lambda w: {"id": _id("Person", w.subscriber)},
    ),
    "accountTeamCreate": Operation(
        _mutation("accountTeamCreate", "AccountTeamCreateInput", "accountTeam { code }"),
        lambda _: {"input": {"code": "NEW", "team": _team()}},
    ),
    "accountTeamUpdate": Operation(
        _mutation("accountTeamUpdate", "AccountTeamUpdateInput", "accountTeam { code }"),
        lambda _: {"input": {"code": "TEAM", "version": 1, "team": _team()}},
    ),
    "accountTeamAssign": Operation(
        _mutation("accountTeamAssign", "AccountTeamAssignInput", "groupClient { code }"),
        lambda w: {"input": {"groupClientId": _client(w.root), "teamCode": "TEAM"}},
    ),
    "claimsSummaryLoad": Operation(
        _mutation("claimsSummaryLoad", "ClaimsSummaryLoadInput", "result { loaded }"),
        lambda _: {"input": {}},
        upload=b"person_number,drug_code,drug_name,last_fill_date,fills_12_months\n"
        b"P-1,RX-1,Drug,2026-01-01,2\n",
    ),
    "marketEventRecord": Operation(
        _mutation("marketEventRecord", "MarketEventRecordInput", "marketEvent { kind }"),
        lambda _: {
            "input": {
                "kind": "DRUG_OVER_THE_COUNTER",
                "drugCodes": ["RX-1"],
                "effectiveDate": _today(),
                "description": "Over the counter.",
            }
        },
    ),
    "campaignRuns": Operation("query Run { campaignRuns(first: 5) { totalCount } }"),
    "campaignTasks": Operation("query Run { campaignTasks(first: 5) { totalCount } }"),
    "campaignTaskComplete": Operation(
        _mutation("campaignTaskComplete", "CampaignTaskCompleteInput", "part { state }"),
        by_role=lambda w, role: {
            "input": {
                "id": w.campaign_tasks["opt_in" if role == "group_manager" else "election"],
                "decision": "APPROVE",
            }
        },
    ),
    "documents": Operation("query Run { documents(first: 5) { totalCount } }"),
    "policyIdCardIssue": Operation(
        _mutation("policyIdCardIssue", "PolicyIdCardIssueInput", "document { sha256 }"),
        lambda w: {"input": {"policyId": _id("Policy", w.policy)}},
    ),
    "billDocumentIssue": Operation(
        _mutation("billDocumentIssue", "BillDocumentIssueInput", "document { sha256 }"),
        lambda w: {"input": {"key": w.bill}},
    ),
    "letterTemplates": Operation("query Run { letterTemplates(first: 5) { totalCount } }"),
    "letterTemplateCreate": Operation(
        _mutation(
            "letterTemplateCreate", "LetterTemplateCreateInput", "letterTemplate { version }"
        ),
        lambda _: {
            "input": {"code": "w-new", "kind": "LETTER", "body": "#data.name", "fields": ["name"]}
        },
    ),
    "letterTemplateApprove": Operation(
        _mutation(
            "letterTemplateApprove", "LetterTemplateApproveInput", "letterTemplate { state }"
        ),
        lambda w: {"input": {"id": _id("LetterTemplate", w.template)}},
    ),
    "webhookEndpoints": Operation("query Run { webhookEndpoints { totalCount } }"),
    "webhookDeliveries": Operation(
        "query Run($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount } }",
        lambda w: {"id": _id("WebhookEndpoint", w.endpoint)},
    ),
    "webhookEndpointCreate": Operation(
        _mutation("webhookEndpointCreate", "WebhookEndpointCreateInput", "secret"),
        lambda _: {"input": {"url": "http://127.0.0.1:9/hook", "groupClientCodes": [ROOT]}},
    ),
    "webhookEndpointUpdate": Operation(
        _mutation("webhookEndpointUpdate", "WebhookEndpointUpdateInput", "webhookEndpoint { id }"),
        lambda w: {"input": {"id": _id("WebhookEndpoint", w.endpoint), "eventTypes": []}},
    ),
    "webhookEndpointDisable": Operation(
        _mutation(
            "webhookEndpointDisable", "WebhookEndpointDisableInput", "webhookEndpoint { id }"
        ),
        lambda w: {"input": {"id": _id("WebhookEndpoint", w.endpoint)}},
    ),
    "webhookDeliveryRetry": Operation(
        _mutation("webhookDeliveryRetry", "WebhookDeliveryRetryInput", "webhookDelivery { id }"),
        lambda w: {"input": {"id": _id("WebhookDelivery", w.delivery)}},
    ),
    "premiumScheduleRateSet": Operation(
        _mutation("premiumScheduleRateSet", "PremiumScheduleRateSetInput", "premiumSchedule"),
        lambda _: {
            "input": {
                "premiumSchedule": "PS-W",
                "currency": "EUR",
                "startDate": _today(),
                "rates": [
                    {"ageFrom": 0, "ageTo": 99, "coverageTier": "FAMILY", "amount": "100.00"}
                ],
            }
        },
    ),
    "premiumRunStart": Operation(
        _mutation("premiumRunStart", "PremiumRunStartInput", "premiumRun { status }"),
        lambda w: {
            "input": {"period": _today()[:7], "groupClientId": _client(w.root), "dryRun": True}
        },
    ),
    "premiumRuns": Operation("query Run { premiumRuns(first: 5) { totalCount } }"),
    "bills": Operation(f'query Run {{ bills(filter: {{period: "{_today()[:7]}"}}) {{ total }} }}'),
    "catalogueItemAdd": Operation(
        _mutation("catalogueItemAdd", "CatalogueItemAddInput", "catalogueItem { code }"),
        lambda w: {"input": _service(_account(w.account))},
    ),
    "catalogueItemEnd": Operation(
        _mutation("catalogueItemEnd", "CatalogueItemEndInput", "catalogueItem { endDate }"),
        lambda w: {
            "input": {"id": _id("CatalogueItem", w.item), "version": 1, "endDate": _today()}
        },
    ),
    "catalogueItems": Operation("query Run { catalogueItems(first: 5) { totalCount } }"),
    "workflowTasks": Operation("query Run { workflowTasks { totalCount } }"),
    "processDefinitions": Operation("query Run { processDefinitions { key } }"),
    "workflowRequestSubmit": Operation(
        _mutation("workflowRequestSubmit", "WorkflowRequestSubmitInput", "request { state }"),
        by_role=lambda w, role: {
            "input": {
                "type": "CERTIFICATE",
                "channel": CHANNELS[role],
                "policyId": _id("Policy", w.policy),
            }
        },
    ),
    "workflowRequestCancel": Operation(
        _mutation("workflowRequestCancel", "WorkflowRequestCancelInput", "request { state }"),
        by_role=lambda w, role: {"input": {"id": w.requests.get(f"sent-by-{role}", "none")}},
    ),
    "workflowTaskComplete": Operation(
        _mutation("workflowTaskComplete", "WorkflowTaskCompleteInput", "request { state }"),
        by_role=lambda w, role: {
            "input": {
                "id": w.tasks[
                    {"backoffice": "review", "vendor": "outsourced"}.get(role, "manager")
                ],
                "decision": "APPROVE",
            }
        },
    ),
    "processDefinitionDeploy": Operation(
        _mutation(
            "processDefinitionDeploy",
            "ProcessDefinitionDeployInput",
            "processDefinition { version }",
        ),
        lambda _: {"input": {"bpmn": shipped()[0], "dmn": shipped()[1]}},
    ),
    "validationRules": Operation("query Run { validationRules { code } }"),
    "validationRuleCreate": Operation(
        _mutation("validationRuleCreate", "ValidationRuleCreateInput", "validationRule { code }"),
        lambda _: {"input": _rule("R-NEW")},
    ),
    "validationRuleUpdate": Operation(
        _mutation("validationRuleUpdate", "ValidationRuleUpdateInput", "validationRule { code }"),
        lambda w: {
            "input": {
                **_rule("R-OLD"),
                "id": _id("ValidationRule", w.rule),
                "version": w.rule.version,
                "enabled": False,
            }
        },
    ),
    "groupClientValidate": Operation(
        _mutation("groupClientValidate", "GroupClientSubmitInput", "approved"),
        lambda w: {"input": {"id": _client(w.child)}},
    ),
    "groupClientSubmit": Operation(
        _mutation("groupClientSubmit", "GroupClientSubmitInput", "approved"),
        lambda w: {"input": {"id": _client(w.child)}},
    ),
    "groupAccountTerminate": Operation(
        _mutation("groupAccountTerminate", "GroupAccountTerminateInput", "groupAccount { code }"),
        lambda w: {
            "input": {
                "id": _account(w.other_account),
                "version": w.other_account.version,
                "endDate": _today(),
            }
        },
    ),
}


@dataclass(frozen=True)
class Outside:
    """An allowed role naming a row, or asking for a placement, outside its grants."""

    name: str
    role: str
    operation: str
    variables: Callable[[World], dict[str, Any]]
    errors: list[tuple[str, list[str]]] | Outcome
    """The payload's (code, field) errors; FORBIDDEN when refused at the top level."""


RESTRICTIONS = [
    ("FORBIDDEN", ["input", "lineOfBusiness"]),
    ("FORBIDDEN", ["input", "dataAccessGroup"]),
]

OUTSIDE_GRANTS = [
    Outside(
        "a-US-client-reads-as-unknown",
        "backoffice",
        "groupClientUpdate",
        lambda w: {"input": {"id": _client(w.us_client), "version": w.us_client.version}},
        [("NOT_FOUND", ["input", "id"])],
    ),
    Outside(
        # A client's data access group does not reach its accounts: ROOT is in scope, its
        # US account is not.
        "a-US-account-under-a-granted-client-reads-as-unknown",
        "backoffice",
        "insurableClassCreate",
        lambda w: {"input": {"groupAccountId": _account(w.us_account), "code": "X", "name": "X"}},
        [("NOT_FOUND", ["input", "groupAccountId"])],
    ),
    Outside(
        "a-US-accounts-catalogue-reads-as-unknown",
        "backoffice",
        "catalogueItemAdd",
        lambda w: {"input": _service(_account(w.us_account))},
        [("NOT_FOUND", ["input", "groupAccountId"])],
    ),
    Outside(
        "creating-a-client-in-US",
        "backoffice",
        "groupClientCreate",
        lambda _: {
            "input": {
                "code": "NEW-US",
                "name": "New company",
                "lineOfBusiness": "HEALTH",
                "dataAccessGroup": "US",
            }
        },
        RESTRICTIONS,
    ),
    Outside(
        "moving-a-granted-client-to-US",
        "backoffice",
        "groupClientUpdate",
        lambda w: {
            "input": {"id": _client(w.root), "version": w.root.version, "dataAccessGroup": "US"}
        },
        RESTRICTIONS,
    ),
    Outside(
        # The policy gives group managers groups:read only, so a new top-level client is
        # refused before any grant is looked at (and so is every other group change).
        "creating-a-root-client",
        "group_manager",
        "groupClientCreate",
        lambda _: {
            "input": {
                "code": "NEW-ROOT",
                "name": "New company",
                "lineOfBusiness": "HEALTH",
                "dataAccessGroup": "EU",
            }
        },
        Outcome.FORBIDDEN,
    ),
    *(
        Outside(
            f"a-vendor-deciding-{task}-reads-as-unknown",
            "vendor",
            "workflowTaskComplete",
            lambda w, task=task: {"input": {"id": w.tasks[task], "decision": "APPROVE"}},  # type: ignore[misc]
            [("NOT_FOUND", ["input", "id"])],
        )
        # A manager's approval of its client's request, a medical review (no vendor's type)
        for task in ("manager", "review")
    ),
]


@pytest.fixture
async def world(session: AsyncSession) -> World:
    book = await Book(session).setup()
    root = await book.client(code=ROOT)
    child = await book.client(root, code="CHILD")
    leaf = await book.client(root, code="LEAF")
    account = await book.account(root, code="ROOT-STAFF", classes=1, products=1)
    us_account = await book.account(root, code="ROOT-US")
    us_account.data_access_group_id = book.dag_us.id  # type: ignore[assignment]
    us_client = await book.client(code="US-CO", dag=book.dag_us)
    grant = AccessGrant(
        subject="hr-2",
        role=Role.GROUP_MANAGER,
        kind=GrantKind.GROUP_CLIENT,
        code="US-CO",
        created_by="admin-1",
    )
    api_key = ApiKey(
        name="broker-old",
        prefix="0123456789ab",
        secret_hash="0" * 64,
        created_by="admin-1",
        expires_at=datetime.now(UTC) + timedelta(days=30),
    )
    team = AccountTeam(code="TEAM", name="Team", email="team@insurer.example", members=[])
    session.add_all([grant, api_key, team, Drug(code="RX-1", name="Drug"), *_vendor_grants()])
    other_account = await book.account(root, code="ROOT-OTHER", classes=1, products=1)
    policy, subscriber, kid = await _policy(book, account, "P-ROOT", "P-1")
    terminated, _, _ = await _policy(book, account, "P-DONE", "P-2", ended=True)
    await session.commit()
    item = await _catalogue_item(session, account)  # the vendor's SERVICE_PURCHASE picks it
    requests, tasks = await _requests(session, policy, subscriber)
    return World(
        root,
        child,
        leaf,
        account,
        us_account,
        us_client,
        grant,
        api_key,
        other_account,
        policy,
        terminated,
        subscriber,
        kid,
        await _first_class(book, account),
        await _first_class(book, other_account),
        await _setting(book, root),
        await _validation_rule(book),
        requests,
        tasks,
        book.dental,
        await _dynamic_field(session),
        await _template(session),
        *await _webhook(session, root),
        item,
        await _bill(book, account, policy),
        await _campaign_tasks(session, subscriber),
    )


async def _catalogue_item(session: AsyncSession, account: GroupAccount) -> CatalogueItem:
    row = CatalogueItem(
        group_account_id=account.id, kind=ItemKind.SERVICE, code="GYM", name="Gym",
        price=Decimal("40.00"), employer_share=Decimal("0.00"), currency="EUR",
        start_date=date(2000, 1, 1),
    )  # fmt: skip
    # The employee pays it all: the decision table approves the purchase at once, so its open
    # task is the back office's registration, which the vendor takes.
    session.add(row)
    await session.commit()
    return row


async def _bill(book: Book, account: GroupAccount, policy: Policy) -> str:
    """A charge of this month for the policy, billed per employee; its bill's key."""
    period = _today()[:7]
    run = PremiumRun(period=period, group_client_id=account.group_client_id, started_by="admin-1")
    book.session.add_all([
        run,
        Setting(kind=SettingKind.BILL_ALLOCATION, group_account_id=account.id,
                value_text="PER_EMPLOYEE"),
    ])  # fmt: skip
    await book.session.flush()
    charge = PremiumCharge(
        run_id=run.id, policy_id=policy.id, product_id=book.medical.id, period=period,
        group_client_id=account.group_client_id, group_account_id=account.id,
        currency="EUR", amount=100, employer_amount=75, employee_amount=25,
    )  # fmt: skip
    book.session.add(charge)
    await book.session.commit()
    return f"{period}:{account.group_client_id}:-:{policy.id}:EUR"


async def _campaign_tasks(session: AsyncSession, subscriber: Person) -> dict[str, str]:
    """A drug event asks ROOT (small) directly; a product change has its team elect it."""
    admin = Actor("admin-1", EVERYTHING)
    drug = await session.scalar(sa.select(Drug).where(Drug.code == "RX-1"))  # type: ignore[arg-type]
    session.add(ClaimsSummary(person_id=subscriber.id, drug_id=drug.id,  # type: ignore[union-attr]
                              last_fill_date=utc_today() - timedelta(days=20), fills_12_months=2))  # fmt: skip
    yesterday = utc_today() - timedelta(days=1)
    await _campaign(session, admin, MarketEventKind.DRUG_OVER_THE_COUNTER, ["RX-1"], [], yesterday)
    session.add(
        CampaignDefinition(code="product-coach", version=1, name="A product changes",
                           event_kinds=[MarketEventKind.PRODUCT_CHANGE],
                           letter_template="coach-drug-letter", created_by="admin-1")
    )  # fmt: skip
    await _campaign(session, admin, MarketEventKind.PRODUCT_CHANGE, [], ["MED-PPO"], yesterday)
    await session.commit()
    rows = await session.scalars(sa.select(CampaignTask))
    return {row.name: global_id("CampaignTask", row.id) for row in rows}  # type: ignore[arg-type]


async def _campaign(
    session: AsyncSession, admin: Actor, kind: MarketEventKind, drugs: list[str],
    products: list[str], day: date,
) -> None:  # fmt: skip
    event = await market.record_event(
        session, actor=admin, kind=kind, drug_codes=drugs, product_codes=products,
        effective_date=day, description="A change.",
    )  # fmt: skip
    for run_id in await runs.start_runs(session, actor=admin, event=event):
        await runs.begin(session, run_id)


async def _dynamic_field(session: AsyncSession) -> DynamicField:
    row = DynamicField(
        target=FieldTarget.POLICY, code="region", label="Region", value_type=FieldType.TEXT
    )
    session.add(row)
    await session.commit()
    return row


async def _webhook(
    session: AsyncSession, root: GroupClient
) -> tuple[WebhookEndpoint, WebhookDelivery]:
    endpoint = WebhookEndpoint(
        url="http://127.0.0.1:9/hook",
        group_client_codes=[ROOT],
        owner="partner-1",
        principal=owner_json(PRINCIPALS["partner"]),
        secret=new_secret(),
    )
    event = DomainEvent(
        type="group_client.changed", actor="admin-1", subject_type="GroupClient",
        subject_id=root.id, sequence=1, payload={},
    )  # fmt: skip
    session.add_all([endpoint, event])
    await session.flush()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id, event_id=event.id, event_type=event.type,
        subject_type="GroupClient", subject_id=root.id, body="{}", status=DeliveryStatus.DEAD,
        attempts=8,
    )  # fmt: skip
    session.add(delivery)
    await session.commit()
    return endpoint, delivery


async def _template(session: AsyncSession) -> LetterTemplate:
    template = LetterTemplate(
        code="w-letter", version=1, kind=DocumentKind.LETTER, body="Hello", created_by="bo-1"
    )
    session.add(template)
    await session.commit()
    return template


CHANNELS = {
    "admin": "BACK_OFFICE",
    "backoffice": "BACK_OFFICE",
    "group_manager": "GROUP_PORTAL",
    "employee": "EMPLOYEE",
    "partner": "PARTNER",
    "reporting": "BACK_OFFICE",
    "vendor": "BACK_OFFICE",
}


def _vendor_grants() -> list[AccessGrant]:
    """vendor-1 does ROOT's service purchases."""
    return [
        AccessGrant(subject="vendor-1", role=Role.VENDOR, kind=kind, code=code, created_by="a")
        for kind, code in (
            (GrantKind.GROUP_CLIENT, ROOT),
            (GrantKind.REQUEST_TYPE, "SERVICE_PURCHASE"),
        )
    ]


async def _requests(
    session: AsyncSession, policy: Policy, subscriber: Person
) -> tuple[dict[str, str], dict[str, str]]:
    """A certificate request sent by each role, and two tasks waiting on people."""
    bpmn, dmn = shipped()
    await definitions.deploy(session, actor=Actor("setup", NOTHING), bpmn=bpmn, dmn=dmn)

    async def send(role: str, type_: RequestType, **details: Any) -> WorkflowRequest:
        principal = PRINCIPALS[role]
        return await workflow.submit(
            session,
            actor=Actor(principal.subject, Access(principal).scope(WORKFLOW_SUBMIT)),
            roles=principal.roles,
            limits=PolicyLimits(),
            submission=workflow.Submission(type_, Channel(CHANNELS[role]), details),
        )

    sent = {
        f"sent-by-{role}": await send(role, RequestType.CERTIFICATE, policy_id=policy.id)
        for role in ("admin", "backoffice", "group_manager", "employee", "partner")
    }
    manager = await send(
        "employee", RequestType.TERMINATION, policy_id=policy.id, end_date=_today()
    )
    review = await send(
        "employee",
        RequestType.MEDICAL_AUTHORIZATION,
        person_id=subscriber.id,
        medical={"service_code": "MRI", "diagnosis": "M23", "provider": "Clinic"},
    )
    outsourced = await send(
        "employee", RequestType.SERVICE_PURCHASE, policy_id=policy.id, service_code="GYM"
    )
    await session.commit()
    task_ids = {
        name: (
            await session.scalars(
                sa.select(WorkflowTask.id).where(WorkflowTask.request_id == made.id)
            )
        ).one()
        for name, made in (("manager", manager), ("review", review), ("outsourced", outsourced))
    }
    return (
        {key: _id("WorkflowRequest", made) for key, made in sent.items()},
        {key: global_id("WorkflowTask", task_id) for key, task_id in task_ids.items()},  # type: ignore[arg-type]
    )


async def _validation_rule(book: Book) -> ValidationRule:
    book.session.add(
        AdjustmentRule(code="ADJ-W", name="World", kind=AdjustmentKind.PERCENTAGE, value=-5)
    )
    book.session.add(PremiumSchedule(code="PS-W", name="World", currency="EUR"))
    rule = ValidationRule(**{**_rule("R-OLD"), "level": RuleLevel.GROUP_CLIENT})
    rule.severity = Severity.ERROR
    book.session.add(rule)
    await book.session.commit()
    return rule


async def _setting(book: Book, client: GroupClient) -> Setting:
    setting = Setting(
        kind=SettingKind.PROCESS_FLOW, group_client_id=client.id, value_text="standard"
    )
    book.session.add(setting)
    await book.session.commit()
    return setting


async def _first_class(book: Book, account: GroupAccount) -> InsurableClass:
    stmt = sa.select(InsurableClass).where(InsurableClass.group_account_id == account.id)  # type: ignore[arg-type]
    return (await book.session.scalars(stmt)).first()  # type: ignore[return-value]


async def _policy(
    book: Book, account: GroupAccount, number: str, person_number: str, *, ended: bool = False
) -> tuple[Policy, Person, Person]:
    """A policy of a subscriber and a child in the account's first class, with medical."""
    s = book.session
    start = utc_today() - timedelta(days=30)
    end = utc_today() - timedelta(days=1) if ended else None
    holder = Person(
        person_number=person_number,
        given_name="Pat",
        family_name="Lee",
        birth_date=date(1980, 1, 1),
        gender=Gender.UNKNOWN,
    )
    kid = Person(
        person_number=f"{person_number}-C",
        given_name="Kim",
        family_name="Lee",
        birth_date=date(2015, 1, 1),
        gender=Gender.UNKNOWN,
    )
    s.add_all([holder, kid])
    await s.flush()
    policy = Policy(
        number=number,
        subscriber_id=holder.id,  # type: ignore[arg-type]
        line_of_business_id=book.health.id,  # type: ignore[arg-type]
        data_access_group_id=book.dag_eu.id,  # type: ignore[arg-type]
        status=PolicyStatus.TERMINATED if ended else PolicyStatus.ACTIVE,
        start_date=start,
        end_date=end,
    )
    s.add(policy)
    await s.flush()
    class_id = (await _first_class(book, account)).id
    s.add_all(
        [
            PolicyMember(
                policy_id=policy.id,
                person_id=holder.id,  # type: ignore[arg-type]
                relationship=Relationship.SUBSCRIBER,
                start_date=start,
                end_date=end,
            ),
            PolicyMember(
                policy_id=policy.id,
                person_id=kid.id,  # type: ignore[arg-type]
                relationship=Relationship.CHILD,
                start_date=start,
                end_date=end or date(2040, 12, 31),
            ),
            PolicyAccountLink(
                policy_id=policy.id,
                group_account_id=account.id,  # type: ignore[arg-type]
                start_date=start,
                end_date=end,
            ),
            PolicyClassLink(
                policy_id=policy.id,
                insurable_class_id=class_id,  # type: ignore[arg-type]
                start_date=start,
                end_date=end,
            ),
            EnrollmentProduct(
                policy_id=policy.id,
                product_id=book.medical.id,  # type: ignore[arg-type]
                coverage_tier=CoverageTier.EMPLOYEE_CHILDREN,
                start_date=start,
                end_date=end,
            ),
        ]
    )
    await s.flush()
    return policy, holder, kid


_TABLES = [
    LineOfBusiness,
    DataAccessGroup,
    Product,
    ProductCoverageTier,
    GroupClient,
    GroupAccount,
    InsurableClass,
    GroupAccountProduct,
    GroupAccountProductClass,
    AccessGrant,
    ApiKey,
    AuditEvent,
    Person,
    Policy,
    PolicyMember,
    PolicyAccountLink,
    PolicyClassLink,
    EnrollmentProduct,
    Setting,
    ValidationRule,
    AdjustmentRule,
    AdjustmentPeriod,
    BrokerAgent,
    BillingAccount,
    ProviderGroup,
    PremiumSchedule,
    PremiumRate,
    PremiumRun,
    PremiumCharge,
    ProductParameter,
    ProcessDefinition,
    WorkflowRequest,
    WorkflowTask,
    WorkflowEvent,
]


async def _snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a mutation here could touch, read fresh (as rows, not cached objects)."""
    found = {}
    for model in _TABLES:
        table = model.__table__  # type: ignore[attr-defined]
        rows = await session.execute(sa.select(table).order_by(*table.primary_key.columns))
        found[table.name] = [tuple(row) for row in rows]
    return found


async def _audit_count(session: AsyncSession) -> int:
    return await session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0


def _assert_forbidden(body: dict[str, Any], field: str) -> None:
    (error,) = body.get("errors") or [None]
    assert error is not None, body
    assert (error["extensions"]["code"], error["path"]) == ("FORBIDDEN", [field]), body
    assert body["data"] == {field: None}, body


def _allowed(body: dict[str, Any], field: str) -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"][field]


def _cases() -> list[Any]:
    return [
        pytest.param(operation, role, outcome, id=f"{operation}-{role}")
        for operation, outcomes in MATRIX.items()
        for role, outcome in zip(ROLES, outcomes, strict=True)
    ]


def test_the_table_covers_every_query_and_mutation() -> None:
    # given
    types = {t["name"]: t for t in schema.introspect()["__schema"]["types"]}
    # when
    in_schema = {field["name"] for root in ("Query", "Mutation") for field in types[root]["fields"]}
    # then
    assert set(MATRIX) == in_schema, "add the new operations to MATRIX and OPERATIONS"
    assert set(OPERATIONS) == in_schema
    assert all(len(outcomes) == len(ROLES) for outcomes in MATRIX.values())


async def _call(caller: GraphQLClient, called: Operation, variables: dict[str, Any]) -> Any:
    """Send the operation; with a file, as a multipart request."""
    if called.upload is None:
        return await caller.raw(called.document, variables)
    variables["input"]["file"] = None
    response = await caller.http.post(
        "/graphql",
        headers=caller.headers,
        data={
            "operations": json.dumps({"query": called.document, "variables": variables}),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": ("census.csv", called.upload, "text/csv")},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("operation", "role", "outcome"), _cases())
async def test_role_calls_operation(
    http: AsyncClient,
    session: AsyncSession,
    world: World,
    operation: str,
    role: str,
    outcome: Outcome,
) -> None:
    # given
    caller = GraphQLClient(http, token_for(PRINCIPALS[role]))
    called = OPERATIONS[operation]
    before = await _snapshot(session)
    # when
    body = await _call(caller, called, called.variables_for(world, role))
    # then
    if outcome is Outcome.FORBIDDEN:
        _assert_forbidden(body, operation)
        assert await _snapshot(session) == before
    elif outcome is Outcome.HIDDEN:
        assert answer(body) == {"data": {operation: None}}
    elif outcome is Outcome.PARTIAL:
        assert body["data"][operation] is not None
        assert body["errors"], body
        assert all(
            (e["extensions"]["code"], e["path"][0]) == ("FORBIDDEN", operation)
            and len(e["path"]) > 1
            for e in body["errors"]
        ), body["errors"]
    elif called.is_mutation:
        payload = _allowed(body, operation)
        assert payload["errors"] == []
        assert all(value is not None for value in payload.values())
        audited = 0 if operation in UNAUDITED else AUDITED.get(operation, 1)
        assert await _audit_count(session) == len(before["audit_event"]) + audited
    else:
        assert _allowed(body, operation) is not None


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=f"{case.operation}-{case.role}-{case.name}") for case in OUTSIDE_GRANTS],
)
async def test_allowed_role_outside_its_grants_changes_nothing(
    http: AsyncClient, session: AsyncSession, world: World, case: Outside
) -> None:
    # given
    caller = GraphQLClient(http, token_for(PRINCIPALS[case.role]))
    before = await _snapshot(session)
    # when
    body = await caller.raw(OPERATIONS[case.operation].document, case.variables(world))
    # then
    if case.errors is Outcome.FORBIDDEN:
        _assert_forbidden(body, case.operation)
    else:
        payload = _allowed(body, case.operation)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == case.errors
    assert await _snapshot(session) == before


async def test_partner_with_an_api_key_reads_the_clients_it_was_given(
    http: AsyncClient, admin: GraphQLClient, world: World
) -> None:
    # given: a key made by an admin through the API, scoped to ROOT
    made = await admin.mutate(
        OPERATIONS["apiKeyCreate"].document,
        {"input": {"name": "broker-y", "groupClientCodes": [ROOT], "expiresAt": _in_a_month()}},
    )
    assert made["errors"] == []
    partner = GraphQLClient(http, made["key"])
    # when
    body = await partner.raw(OPERATIONS["groupClient"].document, {"code": "CHILD"})
    # then
    assert _allowed(body, "groupClient") == {"code": "CHILD"}
