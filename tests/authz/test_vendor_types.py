"""The request types vendors may work on and the health types that workflow reach keeps from
them are written in two places (authz/policy.csv and domain.workflow.reach): they must not
drift apart, or a vendor would read a video consultation's reason."""

from __future__ import annotations

from authz.access import decided
from domain.workflow.models import RequestType
from domain.workflow.reach import HEALTH_TYPES


def test_vendors_may_act_on_every_request_type_but_the_health_ones() -> None:
    # given the shipped policy
    # when asking it about every request type
    allowed = {t for t in RequestType if decided("vendor", f"request:{t.value}", "act")}
    # then vendors take exactly the types that carry no health information
    assert allowed == set(RequestType) - set(HEALTH_TYPES)
