"""Classified management of temporary residents (暂住人口分类管理): facts per person, rules as data, tiers.

A person's facts are read in bulk (one query per kind of fact for a whole chunk of people, never one per
person); the rules of the longest division-code prefix matching their current stay's community are tried in
`position` order and the first whose conditions all hold gives the tier and how often a grid worker must
re-verify them. `tiers_recompute` stores the result in `PersonTier`; call it when a person's facts change.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.identity import china_today
from liuguan.registry.models import FieldChange, Person, Stay

from .codes import BreachKind, DutyChannel, ReportKind, TenancyStatus
from .models import Breach, ClassificationRule, DutyReport, ForeignDocument, PersonTier, TenancyTenant

CHUNK = 1000
STABLE_EMPLOYER_DAYS = 180
BREACH_WINDOW_DAYS = 365
CHINA = dt.timezone(dt.timedelta(hours=8))


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _current_stays(ids: list[int]) -> dict[int, dict]:
    """Each person's open stay with the latest arrival (a person may hold open stays in two communities)."""
    current: dict[int, dict] = {}
    rows = (
        Stay.objects.filter(person_id__in=ids, departed_on__isnull=True)
        .order_by("person_id", "arrived_on", "id")
        .values("id", "person_id", "community_id", "employer_id", "arrived_on", "late")
    )
    for row in rows:
        current[row["person_id"]] = row  # ordered by arrival: the last one wins
    return current


def _employer_since(stays: dict[int, dict]) -> dict[int, dt.date]:
    """When the stay's employer was last set: its latest recorded change, otherwise the arrival."""
    with_employer = {s["id"]: s for s in stays.values() if s["employer_id"]}
    since = {sid: s["arrived_on"] for sid, s in with_employer.items()}
    changes = (
        FieldChange.objects.filter(object_type="registry.stay", object_id__in=list(with_employer), field="employer_id")
        .values("object_id")
        .annotate(last=Max("recorded_at"))
    )
    for row in changes:
        since[row["object_id"]] = max(since[row["object_id"]], row["last"].astimezone(CHINA).date())
    return since


def person_facts(person_ids: Iterable[int], as_of: dt.date | None = None) -> dict[int, dict]:
    """The facts the rules test, per person, as plain JSON values.

    - stay_days: days since the arrival of the current (open, latest) stay; None without an open stay.
    - filed_tenancy: named as a tenant in an active filing whose lease covers `as_of`.
    - stable_employer: the current stay names an employer, and that employer reported the person (an arrival
      report) or the stay's employer has been unchanged for 180 days; employer_days counts those days.
    - permit_held: always False for now: there is no residence-permit model yet (issue 7 adds permits).
    - breaches: incidents recorded against the person in the last 365 days. Late and missing reports are the
      landlord's, employer's or hotel's breaches, not the tenant's, so they do not count against the person.
    - late_registration: the current stay was registered after the area's deadline.
    - foreign: nationality other than CHN; foreign_doc_days: days until the latest-ending visa or residence
      document ends (negative once it has ended), None when no document is recorded.
    """
    as_of = as_of or china_today()
    facts: dict[int, dict] = {}
    for ids in _chunks(sorted({int(pk) for pk in person_ids})):
        people = dict(Person.objects.filter(pk__in=ids).values_list("pk", "nationality"))
        stays = _current_stays(ids)
        since = _employer_since(stays)
        filed = set(
            TenancyTenant.objects.filter(
                person_id__in=ids,
                filing__status=TenancyStatus.ACTIVE,
                filing__starts_on__lte=as_of,
                filing__ends_on__gte=as_of,
            ).values_list("person_id", flat=True)
        )
        employer_reported = set(
            DutyReport.objects.filter(
                person_id__in=ids,
                channel=DutyChannel.EMPLOYER,
                kind=ReportKind.ARRIVAL,
                employer__isnull=False,
                occurred_on__lte=as_of,
            ).values_list("person_id", "employer_id")
        )
        breaches = dict(
            Breach.objects.filter(
                person_id__in=ids,
                kind=BreachKind.INCIDENT,
                occurred_on__gt=as_of - dt.timedelta(days=BREACH_WINDOW_DAYS),
                occurred_on__lte=as_of,
            )
            .values("person_id")
            .annotate(n=Count("id"))
            .values_list("person_id", "n")
        )
        doc_ends = dict(
            ForeignDocument.objects.filter(person_id__in=ids)
            .values("person_id")
            .annotate(last=Max("expires_on"))
            .values_list("person_id", "last")
        )
        for pk, nationality in people.items():
            stay = stays.get(pk)
            employer_id = stay["employer_id"] if stay else None
            employer_days = (as_of - since[stay["id"]]).days if employer_id else None
            facts[pk] = {
                "community": stay["community_id"] if stay else "",
                "stay_days": (as_of - stay["arrived_on"]).days if stay else None,
                "filed_tenancy": pk in filed,
                "stable_employer": bool(
                    employer_id and ((pk, employer_id) in employer_reported or employer_days >= STABLE_EMPLOYER_DAYS)
                ),
                "employer_days": employer_days,
                "permit_held": False,
                "breaches": breaches.get(pk, 0),
                "late_registration": bool(stay and stay["late"]),
                "foreign": (nationality or "CHN") != "CHN",
                "foreign_doc_days": (doc_ends[pk] - as_of).days if pk in doc_ends else None,
            }
    return facts


def _at_least(value, limit) -> bool:
    return value is not None and value >= limit


def _at_most(value, limit) -> bool:
    return value is not None and value <= limit


CONDITIONS = {
    "min_stay_days": lambda f, v: _at_least(f["stay_days"], v),
    "filed_tenancy": lambda f, v: f["filed_tenancy"] == v,
    "stable_employer": lambda f, v: f["stable_employer"] == v,
    "min_employer_days": lambda f, v: _at_least(f["employer_days"], v),
    "permit_held": lambda f, v: f["permit_held"] == v,
    "max_breaches": lambda f, v: f["breaches"] <= v,
    "min_breaches": lambda f, v: f["breaches"] >= v,
    "late_registration": lambda f, v: f["late_registration"] == v,
    "foreign": lambda f, v: f["foreign"] == v,
    "foreign_doc_expiring_days": lambda f, v: _at_most(f["foreign_doc_days"], v),
}


def rule_matches(conditions: dict, facts: dict) -> bool:
    """Every condition holds; a condition this code does not know never holds (a typo must not widen a tier)."""
    return all(name in CONDITIONS and CONDITIONS[name](facts, value) for name, value in conditions.items())


class RuleBook:
    """The classification rules, read once, grouped by prefix in position order."""

    def __init__(self):
        self.by_prefix: dict[str, list[ClassificationRule]] = {}
        for rule in ClassificationRule.objects.order_by("prefix", "position"):
            self.by_prefix.setdefault(rule.prefix, []).append(rule)
        self.prefixes = sorted(self.by_prefix, key=len, reverse=True)

    def rules_for(self, community_code: str) -> list[ClassificationRule]:
        """The rules of the longest prefix that the community's code starts with."""
        for prefix in self.prefixes:
            if community_code.startswith(prefix):
                return self.by_prefix[prefix]
        return []

    def classify(self, facts: dict) -> ClassificationRule | None:
        """The first matching rule, by position, of the person's area."""
        return next((r for r in self.rules_for(facts["community"]) if rule_matches(r.conditions, facts)), None)


@transaction.atomic
def tiers_recompute(person_ids: Iterable[int], *, as_of: dt.date | None = None, actor=None) -> int:
    """Classify the people again from their current facts and store tier, rule and facts; returns how many
    people's stored tier row was created or changed (recomputing unchanged facts writes nothing).
    """
    as_of = as_of or china_today()
    book = RuleBook()
    written = 0
    moved: dict[int, list] = {}
    ids = sorted({int(pk) for pk in person_ids})
    for chunk in _chunks(ids):
        facts = person_facts(chunk, as_of)
        existing = {t.person_id: t for t in PersonTier.objects.filter(person_id__in=chunk)}
        create, update = [], []
        now = timezone.now()
        for pk, person_facts_ in facts.items():
            rule = book.classify(person_facts_)
            if rule is None:
                continue  # an area without a fall-back rule: leave the person unclassified rather than guess
            values = {
                "tier": rule.tier,
                "rule_id": rule.pk,
                "rule_label": rule.label,
                "facts": person_facts_,
                "reverify_days": rule.reverify_days,
            }
            row = existing.get(pk)
            if row is None:
                create.append(PersonTier(person_id=pk, computed_at=now, **values))
                moved[pk] = [None, rule.tier]
            elif any(getattr(row, k) != v for k, v in values.items()):
                if row.tier != rule.tier:
                    moved[pk] = [row.tier, rule.tier]
                for k, v in values.items():
                    setattr(row, k, v)
                row.computed_at = now
                update.append(row)
        PersonTier.objects.bulk_create(create, batch_size=500)
        PersonTier.objects.bulk_update(
            update, ["tier", "rule_id", "rule_label", "facts", "reverify_days", "computed_at"], batch_size=500
        )
        written += len(create) + len(update)
    if written:
        audit_record(
            actor=actor or SYSTEM,
            action="tier.recompute",
            object_type="compliance.persontier",
            source="job",
            changes={
                "people": len(ids),
                "written": written,
                "as_of": as_of,
                "tier_changes": dict(list(moved.items())[:100]),
            },
        )
    return written
