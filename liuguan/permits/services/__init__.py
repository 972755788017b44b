"""Writes of the residence-permit workflow; each runs in one transaction and leaves an audit event and a trail step."""

from .applications import (
    ApplicationEntry,
    application_complete,
    application_receive,
    applications_receive,
    engine_view,
    residence_since,
)
from .changes import permit_replace, permit_revoke, permit_upgrade
from .decisions import DecisionEntry, application_decide, application_extend, applications_decide
from .permits import (
    permit_endorse,
    permit_handover,
    permit_issue,
    permit_print,
    permits_handover,
    permits_issue,
    permits_print,
    permits_refresh,
    state_of,
)
from .policies import Condition, permit_policies_load, policy_for

__all__ = [
    "ApplicationEntry",
    "Condition",
    "DecisionEntry",
    "application_complete",
    "application_decide",
    "application_extend",
    "application_receive",
    "applications_decide",
    "applications_receive",
    "engine_view",
    "permit_endorse",
    "permit_handover",
    "permit_issue",
    "permit_policies_load",
    "permit_print",
    "permit_replace",
    "permit_revoke",
    "permit_upgrade",
    "permits_handover",
    "permits_issue",
    "permits_print",
    "permits_refresh",
    "policy_for",
    "residence_since",
    "state_of",
]
