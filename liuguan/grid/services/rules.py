"""The system itself reports (系统发现): rules turn findings of other parts into grid events, routed at once.

- tenant not reported: a landlord's missing-report breach found by compliance detection (one event per breach);
- permit endorsement overdue: a residence permit in force whose yearly endorsement window has closed without
  one, judged by its policy whether or not the nightly refresh has suspended it yet (one event per permit and
  count of years: a permit endorsed late and overdue again a year later raises a new one).

Each rule raises an event for an object once, ever: an event closed as fixed is not raised again the next night
while the record that caused it stays on file. Safe to run every day.
"""

from django.db import IntegrityError, transaction

from liuguan.compliance.codes import BreachKind, DutyChannel
from liuguan.compliance.models import Breach
from liuguan.core.audit import SYSTEM
from liuguan.permits.selectors import endorsements_overdue

from ..models import EventCategory, GridEvent, Source
from .events import event_report

TENANT_NOT_REPORTED = "tenant_not_reported"
ENDORSEMENT_OVERDUE = "endorsement_overdue"
# Which category each rule's events take.
RULE_CATEGORY = {TENANT_NOT_REPORTED: "tenant_unreported", ENDORSEMENT_OVERDUE: "endorsement_overdue"}


def _tenant_findings():
    breaches = (
        Breach.objects.filter(kind=BreachKind.MISSING_REPORT, channel=DutyChannel.LANDLORD)
        .select_related("house", "person", "stay")
        .order_by("pk")
    )
    for breach in breaches.iterator(chunk_size=1000):
        house = breach.house
        stay = breach.stay
        grid = (house.grid_id if house else None) or (stay.grid_id if stay else None)
        yield {
            "rule_key": f"breach:{breach.pk}",
            "community_code": breach.community_id,
            "grid_id": grid,
            "house_id": breach.house_id,
            "person_id": breach.person_id,
            "address": house.address if house else "",
            "description": f"房东未申报租客：{breach.person.name if breach.person_id else ''}"
            f"（应于 {breach.due_on or breach.occurred_on} 前申报）",
        }


def _endorsement_findings():
    for permit, state in endorsements_overdue():
        yield {
            # Per permit and count: endorsed late (the years count afresh) and overdue again, it is raised anew.
            "rule_key": f"permit:{permit.pk}:{state.counted_from}",
            "community_code": permit.community_id,
            "grid_id": None,
            "house_id": None,
            "person_id": permit.person_id,
            "address": permit.address,
            "description": f"居住证 {permit.number} 逾期未签注（持证人 {permit.person.name}，"
            f"应于 {state.window_closes} 前签注），自 {state.suspended_from} 起暂停使用",
        }


FINDINGS = {TENANT_NOT_REPORTED: _tenant_findings, ENDORSEMENT_OVERDUE: _endorsement_findings}


def events_from_rules() -> dict[str, int]:
    """Raise one event per rule and finding not raised before; returns how many each rule raised."""
    from liuguan.geo.models import Grid

    raised = {}
    for rule, findings in FINDINGS.items():
        category = EventCategory.objects.filter(pk=RULE_CATEGORY[rule], active=True).first()
        raised[rule] = 0
        if category is None:
            continue
        known = set(GridEvent.objects.filter(rule=rule).values_list("rule_key", flat=True))
        for finding in findings():
            if finding["rule_key"] in known:
                continue
            grid = Grid.objects.filter(pk=finding["grid_id"]).values_list("code", flat=True).first()
            try:
                with transaction.atomic():
                    event_report(
                        actor=SYSTEM,
                        category_code=category.code,
                        description=finding["description"],
                        community_code=finding["community_code"],
                        grid_code=grid or "",
                        house_id=finding["house_id"],
                        person_id=finding["person_id"],
                        address=finding["address"],
                        source=Source.SYSTEM,
                        rule=rule,
                        rule_key=finding["rule_key"],
                        auto_route=True,
                        audit_source="job",
                    )
            except IntegrityError:
                continue  # a second run at the same moment raised it first
            known.add(finding["rule_key"])
            raised[rule] += 1
    return raised
