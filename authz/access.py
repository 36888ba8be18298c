"""One request's access: casbin decides what each role may do; grants decide which rows.

A principal's grants become a `RowScope` once per (object, action) per request; the areas
in `domain/` turn a scope into SQL predicates, so no row is ever checked one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import casbin

from authz.principal import GrantKind, Principal, Role

_HERE = Path(__file__).parent


@cache
def enforcer() -> casbin.Enforcer:
    """The process's enforcer of the shipped model and default policy."""
    return casbin.Enforcer(str(_HERE / "model.conf"), str(_HERE / "policy.csv"))


@cache
def decided(role: str, obj: str, act: str) -> bool:
    """casbin's answer for one role and one need. The policy is fixed for the process's life,
    so each answer is asked once per process, not once per request (0.5 ms each)."""
    return bool(enforcer().enforce(role, obj, act))


@dataclass(frozen=True)
class Need:
    """An action on an object that an operation or a field requires."""

    obj: str
    act: str

    def __str__(self) -> str:
        return f"{self.obj}:{self.act}"


@dataclass(frozen=True)
class Restriction:
    """Rows whose own data access group and line of business are both among these."""

    data_access_groups: frozenset[str]
    lines_of_business: frozenset[str]


@dataclass(frozen=True)
class Outsourced:
    """A vendor's work: requests of these types about these group clients' subtrees, and of
    their back-office tasks those of these kinds (every kind when none is named)."""

    subtrees: frozenset[str]
    types: frozenset[str]
    task_kinds: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, list[str]]:
        return {
            "subtrees": sorted(self.subtrees),
            "types": sorted(self.types),
            "task_kinds": sorted(self.task_kinds),
        }


@dataclass(frozen=True)
class RowScope:
    """Which rows a principal reaches for one need; a row in any part is reached."""

    everything: bool = False
    subtrees: frozenset[str] = frozenset()
    restrictions: frozenset[Restriction] = frozenset()
    person: str | None = None
    outsourced: frozenset[Outsourced] = frozenset()
    """A vendor's requests and tasks; no other row (a vendor reads no group or policy)."""
    subject: str | None = None
    """Who holds the scope: a row they made themselves (a workflow request) is theirs to see."""
    writes: bool = False
    """For a change rather than a read: a group manager reads a policy's whole history but
    changes only the policies whose latest account is theirs."""

    def __or__(self, other: RowScope) -> RowScope:
        return RowScope(
            everything=self.everything or other.everything,
            subtrees=self.subtrees | other.subtrees,
            restrictions=self.restrictions | other.restrictions,
            person=self.person or other.person,
            outsourced=self.outsourced | other.outsourced,
            subject=self.subject or other.subject,
            writes=self.writes or other.writes,
        )

    def to_json(self) -> dict[str, Any]:
        """The scope as JSON data, to act within it later (a request registered days after)."""
        return {
            "everything": self.everything,
            "subtrees": sorted(self.subtrees),
            "restrictions": sorted(
                (
                    {
                        "data_access_groups": sorted(r.data_access_groups),
                        "lines_of_business": sorted(r.lines_of_business),
                    }
                    for r in self.restrictions
                ),
                key=repr,
            ),
            "person": self.person,
            "outsourced": sorted((o.to_json() for o in self.outsourced), key=repr),
            "subject": self.subject,
            "writes": self.writes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> RowScope:
        """The scope `to_json` gave; nothing at all for no data."""
        if not data:
            return NOTHING
        return cls(
            everything=bool(data.get("everything")),
            subtrees=frozenset(data.get("subtrees", ())),
            restrictions=frozenset(
                Restriction(frozenset(r["data_access_groups"]), frozenset(r["lines_of_business"]))
                for r in data.get("restrictions", ())
            ),
            person=data.get("person"),
            outsourced=frozenset(
                Outsourced(
                    frozenset(o["subtrees"]), frozenset(o["types"]), frozenset(o["task_kinds"])
                )
                for o in data.get("outsourced", ())
            ),
            subject=data.get("subject"),
            writes=bool(data.get("writes")),
        )


SCOPES = 1024
"""How many scopes' SQL predicates a process keeps (the least recently used go). A predicate
is an immutable SQL expression, so the one built for a scope serves every statement of every
request with that scope; building them anew took an eighth of the server's time for an
employee's coverage."""

NOTHING = RowScope()
EVERYTHING = RowScope(everything=True)
"""Every row: an admin's reach, and that of migrations and the demo loader. Domain code never
uses it on anyone's behalf (tests/authz/test_reach_everything.py fails if it does)."""


def _role_scope(principal: Principal, role: Role) -> RowScope:
    """The rows one role of the principal reaches, by what its grants name."""
    if role is Role.ADMIN:
        return EVERYTHING
    if role in (Role.BACKOFFICE, Role.REPORTING):
        dags = principal.codes(role, GrantKind.DATA_ACCESS_GROUP)
        lobs = principal.codes(role, GrantKind.LINE_OF_BUSINESS)
        return (
            RowScope(restrictions=frozenset({Restriction(dags, lobs)}))
            if dags and lobs
            else NOTHING
        )
    if role in (Role.GROUP_MANAGER, Role.PARTNER):
        return RowScope(subtrees=principal.codes(role, GrantKind.GROUP_CLIENT))
    if role is Role.VENDOR:
        return _outsourced(principal)
    return RowScope(person=principal.person)


def _outsourced(principal: Principal) -> RowScope:
    """A vendor's reach: its group clients and the request types casbin lets vendors take
    (`request:<TYPE>`), narrowed to its task kinds if it names any; both or nothing."""
    clients = principal.codes(Role.VENDOR, GrantKind.GROUP_CLIENT)
    types = frozenset(
        code for code in principal.codes(Role.VENDOR, GrantKind.REQUEST_TYPE) if outsourceable(code)
    )
    if not clients or not types:
        return NOTHING
    kinds = principal.codes(Role.VENDOR, GrantKind.TASK_KIND)
    return RowScope(outsourced=frozenset({Outsourced(clients, types, kinds)}))


def outsourceable(request_type: str) -> bool:
    """Whether the policy lets vendors work on requests of this type at all."""
    return decided(Role.VENDOR.value, f"request:{request_type}", "act")


@dataclass
class Access:
    """What one principal may do in one request; every answer is computed once."""

    principal: Principal
    _allowed: dict[Need, frozenset[Role]] = field(default_factory=dict, repr=False)
    _scopes: dict[Need, RowScope] = field(default_factory=dict, repr=False)

    @property
    def subject(self) -> str:
        return self.principal.subject

    def roles_for(self, need: Need) -> frozenset[Role]:
        """The principal's roles that casbin allows `need`."""
        if need not in self._allowed:
            self._allowed[need] = frozenset(
                role for role in self.principal.all_roles if decided(role.value, need.obj, need.act)
            )
        return self._allowed[need]

    def allows(self, need: Need) -> bool:
        """Whether some role of the principal may do `need` at all."""
        return bool(self.roles_for(need))

    def scope_as(self, need: Need, role: Role) -> RowScope:
        """The rows the principal may do `need` on in one of its roles (none if not allowed)."""
        if role not in self.roles_for(need):
            return NOTHING
        return replace(
            _role_scope(self.principal, role), subject=self.subject, writes=need.act != "read"
        )

    def scope(self, need: Need) -> RowScope:
        """The rows the principal may do `need` on: the union over its allowed roles."""
        if need not in self._scopes:
            scope = NOTHING
            for role in self.roles_for(need):
                scope |= _role_scope(self.principal, role)
            self._scopes[need] = replace(scope, subject=self.subject, writes=need.act != "read")
        return self._scopes[need]

    def inbox(self) -> tuple[RowScope, RowScope]:
        """The reach for acting on tasks as a group manager, and as the back office (a
        vendor does the back office's tasks of its work); an admin's reaches every task in
        both inboxes."""
        everything = self.scope_as(WORKFLOW_ACT, Role.ADMIN)
        return (
            self.scope_as(WORKFLOW_ACT, Role.GROUP_MANAGER) | everything,
            self.scope_as(WORKFLOW_ACT, Role.BACKOFFICE)
            | self.scope_as(WORKFLOW_ACT, Role.VENDOR)
            | everything,
        )

    def actor(self, need: Need) -> Actor:
        """The principal as a service sees it when it changes rows for `need`."""
        roles = frozenset(role.value for role in self.roles_for(need))
        return Actor(subject=self.subject, scope=self.scope(need), roles=roles)


@dataclass(frozen=True)
class Actor:
    """Who is changing data, and which rows they may change: what a service is given.

    `decided_by` names whoever approved the change when it is made on the actor's behalf
    (a workflow request registered as its requester, after a manager's decision).
    `roles` are the caller's roles allowed the change, for the few values restricted to some
    roles (dynamic fields); rows are always limited by `scope`.
    """

    subject: str
    scope: RowScope
    decided_by: str | None = None
    roles: frozenset[str] = frozenset()


GROUPS_READ = Need("groups", "read")
GROUPS_WRITE = Need("groups", "write")
POLICIES_READ = Need("policies", "read")
POLICIES_WRITE = Need("policies", "write")
SETTINGS_READ = Need("settings", "read")
SETTINGS_WRITE = Need("settings", "write")
RULES_READ = Need("rules", "read")
RULES_WRITE = Need("rules", "write")
REFERENCE_READ = Need("reference", "read")
REFERENCE_WRITE = Need("reference", "write")
"""Add and change lines of business, data access groups and products: admins only."""
AUDIT_READ = Need("audit", "read")
EVENTS_READ = Need("events", "read")
"""Read the change feed: the events about rows the caller reaches."""
WEBHOOKS_READ = Need("webhooks", "read")
WEBHOOKS_WRITE = Need("webhooks", "write")
"""Make and change webhook endpoints: the events they receive are those their owner reaches."""
ACCESS_READ = Need("access", "read")
ACCESS_WRITE = Need("access", "write")
WORKFLOW_SUBMIT = Need("workflow", "submit")
INTAKE_SUBMIT = Need("intake", "submit")
"""Send an enrolment file: its rows are then changed as the sender, within their reach."""
WORKFLOW_READ = Need("workflow", "read")
WORKFLOW_ACT = Need("workflow", "act")
"""Decide on or fulfil a task of someone else's request."""
WORKFLOW_DEPLOY = Need("workflow", "deploy")
"""Deploy a new version of a process flow."""
CAMPAIGNS_READ = Need("campaigns", "read")
"""Read account teams and market events."""
CAMPAIGNS_WRITE = Need("campaigns", "write")
"""Manage account teams and record market events: the insurer's back office."""
CAMPAIGNS_FOLLOW = Need("campaigns", "follow")
"""Follow campaign runs (counts, timeline) and read one's campaign tasks: within reach, a group
manager only their clients' counts and opt-ins, never a member's claims."""
CAMPAIGNS_ACT = Need("campaigns", "act")
"""Decide a campaign task: the account team's election, or a client's opt-in."""
CLAIMS_READ = Need("claims", "read")
"""Read members' pharmacy claims summaries: medical data, the back office only."""
CLAIMS_WRITE = Need("claims", "write")
"""Load claims summaries from the claims system."""
DOCUMENTS_READ = Need("documents", "read")
"""List and download the documents (letters, certificates, ID cards) of rows the caller reaches."""
DOCUMENTS_ISSUE = Need("documents", "issue")
"""Make a document of a row the caller reaches (a policy's ID card)."""
TEMPLATES_READ = Need("templates", "read")
TEMPLATES_WRITE = Need("templates", "write")
"""Add a version of a letter template; it is used only once approved."""
TEMPLATES_APPROVE = Need("templates", "approve")
"""Approve a template version someone else wrote: admins only."""
REPORTS_READ = Need("reports", "read")
"""Read figures (membership, workflow service levels) over the rows one reaches."""
REPORTS_EXPORT = Need("reports", "export")
"""Export the rows one reaches to a file, and download one's exports."""
VENDORS_READ = Need("vendors", "read")
"""Read vendors' service levels: an admin every vendor's, a vendor its own."""
PREMIUMS_READ = Need("premiums", "read")
"""Read what policies cost, who pays it, premium runs, charges and bills."""
PREMIUMS_RUN = Need("premiums", "run")
"""Start a premium run, set a premium schedule's rates, and set a group account's catalogue
(its upgrades and services, their prices and the employer's shares)."""
PERSONAL_FIELDS = Need("field:personal", "read")
"""A person's national id, salary and the like."""
MEDICAL_FIELDS = Need("field:medical", "read")
"""A medical authorization's diagnosis and the like."""
FINANCIAL_FIELDS = Need("field:financial", "read")
"""A member's bank account for refunds: the insurer and the employee, not their employer."""
