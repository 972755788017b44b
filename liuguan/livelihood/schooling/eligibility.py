"""Eligibility for a compulsory-education place as the city sets it, as data (data/rules.json), versioned.

A city profile inherits the national floor and overrides what it sets. The conditions, each met or not with
its reason (shown to the officer and to the parent alike):
- permit: a guardian of the child holds a valid residence permit (permits: issued or valid, not suspended,
  expired, revoked);
- stay: a guardian has lived in the city (the rules' division prefix) for at least `stay_months`, counted
  from the arrival of their current stay there, in whole months (Civil Code Art. 201, as permits count);
- social insurance: a guardian has at least `social_insurance_months` by the human-resources department's
  records (exchange DepartmentFact, as permits/facts.py reads them); with no department record at all, the
  declared document `social_insurance_record` meets it, to be checked by the officer;
- age: the child has reached the level's minimum age on the day set (31 August of the school year);
- documents: every checklist line is met by one of its documents.
"""

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from django.db.models import Q
from django.utils.translation import gettext as _

DATA = Path(__file__).parent / "data" / "rules.json"
VALID_PERMIT = ("issued", "valid")


def rules_content(code: str) -> dict:
    """A shipped rule set as one self-contained document, its base's settings filled in."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    entry = dict(raw[code])
    base = entry.pop("base", None)
    if base:
        merged = rules_content(base)
        merged.update(entry)
        entry = merged
    return entry


def shipped_rules() -> list[str]:
    """The codes in data/rules.json, bases first."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return sorted(raw, key=lambda code: (bool(raw[code].get("base")), code))


def rules_for(community_code: str, on: dt.date):
    """The rule set in force on `on` for a community: the longest matching prefix, its latest version."""
    from .models import EligibilityRules

    rows = EligibilityRules.objects.filter(effective_from__lte=on).order_by("-effective_from", "-id")
    best = None
    for row in rows:
        if community_code.startswith(row.prefix) and (best is None or len(row.prefix) > len(best.prefix)):
            best = row
    return best


@dataclass(frozen=True)
class Condition:
    code: str
    label: str
    met: bool
    reason: str


def _months(start: dt.date, end: dt.date) -> int:
    from liuguan.permits.facts import whole_months

    return whole_months(start, end)


def _permit(guardians, on: dt.date) -> Condition:
    from liuguan.permits.facts import current_permit
    from liuguan.permits.services.permits import state_of

    label = _("Residence permit")
    for guardian in guardians:
        permit = current_permit(guardian)
        if permit is None:
            continue
        state = state_of(permit, on)
        if state.status in VALID_PERMIT:
            return Condition(
                "permit",
                label,
                True,
                _("A guardian holds residence permit %(number)s (%(status)s).")
                % {
                    "number": permit.number,
                    "status": permit.get_status_display(),
                },
            )
    return Condition("permit", label, False, _("No guardian holds a valid residence permit."))


def _stay(guardians, prefix: str, months_needed: int, on: dt.date) -> Condition:
    from liuguan.core.scoping import within
    from liuguan.registry.models import Stay

    label = _("Residence in the city")
    area = within("community_id", prefix) if prefix else Q()
    best = 0
    for guardian in guardians:
        stays = Stay.objects.filter(area, person=guardian, arrived_on__lte=on).filter(
            Q(departed_on__isnull=True) | Q(departed_on__gt=on)
        )
        first = stays.order_by("arrived_on").values_list("arrived_on", flat=True).first()
        if first is not None:
            best = max(best, _months(first, on))
    met = best >= months_needed
    return Condition(
        "stay",
        label,
        met,
        _("The family has lived here %(months)s months; %(needed)s are needed.")
        % {"months": best, "needed": months_needed},
    )


def _insurance(guardians, months_needed: int, documents, on: dt.date) -> Condition:
    from liuguan.exchange.models import DepartmentFact
    from liuguan.permits.facts import social_insurance_months

    label = _("Social insurance")
    recorded = DepartmentFact.objects.filter(
        person__in=[g.pk for g in guardians], kind=DepartmentFact.Kind.SOCIAL_INSURANCE, occurred_on__lte=on
    ).exists()
    if recorded:
        best = max((social_insurance_months(g, on) for g in guardians), default=0)
        return Condition(
            "social_insurance",
            label,
            best >= months_needed,
            _("The department's records show %(months)s months of social insurance; %(needed)s are needed.")
            % {"months": best, "needed": months_needed},
        )
    if "social_insurance_record" in documents:
        return Condition(
            "social_insurance",
            label,
            True,
            _("No department record; met on the declared payment record, to be checked by the officer."),
        )
    return Condition(
        "social_insurance",
        label,
        False,
        _("No department record and no payment record declared; %(needed)s months are needed.")
        % {"needed": months_needed},
    )


def _age(child, level: str, school_year: int, content: dict) -> Condition | None:
    minimum = (content.get("min_age") or {}).get(level)
    if minimum is None:
        return None
    month, day = (int(part) for part in content.get("age_on", "08-31").split("-"))
    on = dt.date(school_year, month, day)
    born = child.birth_date
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return Condition(
        "age",
        _("Age"),
        age >= minimum,
        _("The child is %(age)s on %(on)s; the level starts at %(minimum)s.")
        % {"age": age, "on": on.isoformat(), "minimum": minimum},
    )


def _documents(content: dict, level: str, documents) -> Condition:
    provided = set(documents)
    missing = [
        line["label"]
        for line in content.get("checklist", [])
        if (not line.get("levels") or level in line["levels"]) and not provided.intersection(line["any_of"])
    ]
    if missing:
        return Condition("documents", _("Documents"), False, _("Missing: %(list)s.") % {"list": "、".join(missing)})
    return Condition("documents", _("Documents"), True, _("Every document needed was provided."))


def evaluate(*, rules, child, guardians, level: str, school_year: int, documents, on: dt.date) -> dict:
    """Each condition of the rule set, met or not with its reason, and whether all are met."""
    content = rules.content
    conditions = []
    if content.get("permit_required", True):
        conditions.append(_permit(guardians, on))
    conditions.append(_stay(guardians, rules.prefix, int(content.get("stay_months", 0)), on))
    conditions.append(_insurance(guardians, int(content.get("social_insurance_months", 0)), documents, on))
    age = _age(child, level, school_year, content)
    if age is not None:
        conditions.append(age)
    conditions.append(_documents(content, level, documents))
    return {
        "rules": rules.code,
        "version": rules.version,
        "on": on.isoformat(),
        "eligible": all(c.met for c in conditions),
        "conditions": [asdict(c) for c in conditions],
    }
