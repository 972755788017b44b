"""Decisions on accepted applications: by the policy engine on today's facts, within the working-day limit."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.scoping import scoped
from liuguan.registry.models import Stay

from ..models import Application, PermitEvent
from ..policy import decision_due, eligibility, policy_from
from .applications import (
    _status_problem,
    application_for_update,
    continuous_since,
    reason_text,
    tell_portal_applicant,
)
from .common import audit_many, clean_text, current_day, event, who


@transaction.atomic
def application_extend(*, actor, application_id: int, reason: str, source: str = "web") -> Application:
    """Extend the decision deadline to the policy's longer limit (30 working days where local rules allow)."""
    if not actor.can("permit.decide"):
        raise PermissionDenied()
    application = application_for_update(actor, application_id)
    _status_problem(application, Application.Status.ACCEPTED, _("Only an application awaiting decision is extended"))
    reason = clean_text(reason, 200)
    if not reason:
        raise InvalidInput([FieldProblem("reason", "permit.reason_required", _("Give the reason for the extension"))])
    if application.extended:
        raise InvalidInput(
            [FieldProblem("application", "permit.already_extended", _("The deadline is already extended"))]
        )
    _extend(application)
    application.save(update_fields=["extended", "due_on"])
    event(action="extended", actor=actor, application=application, note=reason)
    audit_record(
        actor=actor,
        action="permit_application.extend",
        obj=application,
        division_code=application.community_id,
        source=source,
        changes={"due_on": application.due_on, "reason": reason},
    )
    return application


def _extend(application: Application) -> None:
    application.extended = True
    application.due_on = decision_due(
        policy_from(application.policy), accepted_on=application.accepted_on, extended=True
    )


@dataclass(frozen=True)
class DecisionEntry:
    application_id: int
    approve: bool
    reasons: str = ""
    extended: bool = False


@transaction.atomic
def application_decide(
    *, actor, application_id: int, approve: bool, reasons: str, extended: bool = False, source: str = "web"
) -> Application:
    """Approve or refuse an accepted application with the policy engine's verdict on today's facts.

    Residence counts from the start of continuous residence in the city; an approval the engine does not
    support is refused with its reasons. The decision keeps the kind, reasons, residence start and the
    policy code and version, so it can be explained later whatever the policy becomes.
    """
    entry = DecisionEntry(application_id, approve, reasons, extended)
    return applications_decide(actor=actor, decisions=[entry], source=source)[0]


@transaction.atomic
def applications_decide(*, actor, decisions: list[DecisionEntry], source: str = "web") -> list[Application]:
    """Decide several accepted applications at once, each by the same rules; one problem and nothing is written."""
    if not actor.can("permit.decide"):
        raise PermissionDenied()
    if not decisions:
        return []
    found = (
        scoped(Application.objects.select_for_update(of=("self",)), actor)
        .select_related("policy", "stay")
        .in_bulk([d.application_id for d in decisions])
    )
    if len(found) < len({d.application_id for d in decisions}):
        raise NotFound()
    today = current_day()
    since = _residence_since_many([found[d.application_id].stay for d in decisions])
    problems: list[FieldProblem] = []
    decided = []
    for index, entry in enumerate(decisions):
        application = found[entry.application_id]
        mine: list[FieldProblem] = []
        _decide_one(application, entry, since[application.stay_id], today, mine, actor)
        prefix = f"{index}." if len(decisions) > 1 else ""
        problems += [FieldProblem(prefix + p.field, p.rule, p.message) for p in mine]
        decided.append(application)
    if problems:
        raise InvalidInput(problems)
    fields = ["status", "decided_at", "decided_by", "reasons", "decision", "extended", "due_on"]
    Application.objects.bulk_update(decided, fields)
    PermitEvent.objects.bulk_create(
        [PermitEvent(application=a, action=a.status, actor=who(actor), note=a.reasons[:300]) for a in decided]
    )
    audit_many(
        actor=actor,
        action="permit_application.decide",
        objs=decided,
        source=source,
        changes_of=lambda a: {"status": a.status, **a.decision},
    )
    for application in decided:
        tell_portal_applicant(application)
    return decided


def _residence_since_many(stays: list[Stay]) -> dict[int, dt.date]:
    """`residence_since` for many stays in one query over the people's stays."""
    others = defaultdict(list)
    rows = Stay.objects.filter(person_id__in={s.person_id for s in stays}).values_list(
        "pk", "person_id", "community_id", "arrived_on", "departed_on"
    )
    for pk, person_id, community, arrived, departed in rows:
        others[person_id].append((pk, community, arrived, departed))
    return {
        stay.pk: continuous_since(
            stay.arrived_on,
            [
                (arrived, departed)
                for pk, community, arrived, departed in others[stay.person_id]
                if pk != stay.pk and community[:4] == stay.community_id[:4]
            ],
        )
        for stay in stays
    }


def _decide_one(application, entry: DecisionEntry, since: dt.date, today: dt.date, problems: list, actor) -> None:
    if application.status != Application.Status.ACCEPTED:
        problems.append(
            FieldProblem("application", "permit.application_accepted", _("Only an accepted application is decided"))
        )
        return
    reasons = clean_text(entry.reasons, 1000)
    policy = policy_from(application.policy)
    found = eligibility(policy, residence_since=since, on=today, conditions={application.condition})
    if entry.approve:
        if application.stay.departed_on is not None:
            problems.append(
                FieldProblem("approve", "permit.stay_open", _("The applicant has left the residence applied from"))
            )
        for reason in found.reasons:
            problems.append(FieldProblem("approve", f"permit.{reason}", reason_text(reason, found.eligible_from)))
        if found.eligible and found.kind != application.permit_kind:
            problems.append(
                FieldProblem(
                    "approve",
                    "permit.kind_mismatch",
                    _("The applicant is eligible for the %(kind)s, not the kind applied for")
                    % {"kind": policy.kind(found.kind).label},
                )
            )
    elif not reasons:
        problems.append(FieldProblem("reasons", "permit.reasons_required", _("Give the reasons for the refusal")))
    if problems:
        return
    if entry.extended and not application.extended:
        _extend(application)
    application.status = Application.Status.APPROVED if entry.approve else Application.Status.REFUSED
    application.decided_at = timezone.now()
    application.decided_by = who(actor)
    application.reasons = reasons
    application.decision = {
        "approve": bool(entry.approve),
        "eligible": found.eligible,
        "kind": found.kind,
        "reasons": [str(r) for r in found.reasons],
        "residence_since": since.isoformat(),
        "eligible_from": found.eligible_from.isoformat() if found.eligible_from else None,
        "policy": application.policy.code,
        "version": application.policy.version,
        "on": today.isoformat(),
        "late": bool(application.due_on and today > application.due_on),
    }
