"""What bench.load asks of each side: groupcover's queries, PostGraphile's nested query in its
own naming, and the floor's raw SQL."""

from __future__ import annotations

# Each connection asks for the page it needs: the query's cost (schema/core/cost.py) is reckoned
# from `first`, and the synthetic book's clients have 3 children and 1 account each.
EFFECTIVE = "collectionSetting { value source { level } } premiumSchedule { value { code } }"
TREE = (
    'query { groupClient(code: "C1") { code effectiveSettings { '
    + EFFECTIVE
    + " } "
    + "groupAccounts(first: 2) { edges { node { code effectiveSettings { "
    + EFFECTIVE
    + " } } } } "
    + "LEVEL } }"
)
for _ in range(5):
    TREE = TREE.replace(
        "LEVEL",
        "children(first: 4) { edges { node { code effectiveSettings { " + EFFECTIVE + " } "
        "groupAccounts(first: 2) { edges { node { code } } } LEVEL } } }",
    )
TREE = TREE.replace("LEVEL", "")
NESTED = "nested: 100 clients > accounts > 10 policies > members"
POSTGRAPHILE = "PostGraphile 5"
BEFORE = "groupcover before"
QUERIES = {
    "6-level tree, accounts, effective settings": TREE,
    "100 policies, members, effective settings": (
        "query { policies(first: 100) { edges { node { number "
        "members { relationship person { givenName } } groupAccount { code } "
        "effectiveSettings { " + EFFECTIVE + " } } } } }"
    ),
    NESTED: (
        "query { groupClients(first: 100) { edges { node { code "
        "groupAccounts(first: 2) { edges { node { code policies(first: 10) { edges { node { "
        "number members { relationship "
        "person { givenName } } } } } } } } } } } }"
    ),
    "a group manager's inbox: 50 of 500 open tasks": (
        "query { workflowTasks(first: 50, filter: { state: OPEN }) { totalCount edges { node { "
        "title dueAt overdue request { type state submittedBy timeline { action at } "
        "policy { number subscriber { givenName familyName } } } } } } }"
    ),
    "an employee's own coverage": (
        "query { policies(first: 5) { edges { node { number status "
        "members { relationship endDate person { givenName } } "
        "enrollmentProducts { coverageTier product { code name } } } } } }"
    ),
}
POSTGRAPHILE_NESTED = (
    "query { allGroupClients(first: 100, orderBy: PRIMARY_KEY_ASC) { nodes { code "
    "groupAccountsByGroupClientId { nodes { code "
    "policyAccountLinksByGroupAccountId(first: 10, orderBy: PRIMARY_KEY_ASC) { nodes { "
    "policyByPolicyId { number policyMembersByPolicyId { nodes { relationship "
    "personByPersonId { givenName } } } } } } } } } } }"
)
FLOOR_SQL = """
WITH c AS (SELECT id, code FROM group_client ORDER BY id LIMIT 100),
a AS (SELECT ga.id, ga.code, ga.group_client_id FROM group_account ga
      JOIN c ON c.id = ga.group_client_id)
SELECT c.code, a.code, p.number, m.relationship, pe.given_name
FROM c JOIN a ON a.group_client_id = c.id
CROSS JOIN LATERAL (SELECT p.id, p.number FROM policy p
  JOIN (SELECT DISTINCT policy_id FROM policy_account_link WHERE group_account_id = a.id) l
  ON l.policy_id = p.id ORDER BY p.id LIMIT 10) p
JOIN policy_member m ON m.policy_id = p.id JOIN person pe ON pe.id = m.person_id
"""
