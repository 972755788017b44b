"""Reads of rights, the settlement check and marriage-and-childbearing certificates, always inside scope; and the
licence pre-check for departments, inside their grants.

A person's rights follow the policy of their area (PermitPolicy.rights_profile: Chengdu's profile there, the
national list elsewhere); settlement follows the area's settlement profile, when it has one.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Q
from django.utils.translation import gettext as _

from liuguan.core.errors import FieldProblem, NotFound
from liuguan.core.identity import normalize_document_number
from liuguan.core.scoping import scoped, within
from liuguan.exchange import hub
from liuguan.exchange.models import Way
from liuguan.exchange.selectors import (
    ANSWERED,
    _context_problems,
    _document_problems,
    _refuse,
)
from liuguan.exchange.selectors_feeds import fields_in_area
from liuguan.geo.models import Division
from liuguan.registry.lookup import person_by_document
from liuguan.registry.models import Person, Stay

from .facts import PersonFacts, person_facts_explained
from .models import MarriageCertificate
from .rights import DATA, Verdict, rights_for, rights_load, settlement_check
from .services.common import current_day

CERTIFICATE_DATASET = "marriage_certificate"
# The certificate fields a grant may add to the pre-check's answer; "valid" is the answer itself.
CERTIFICATE_FIELDS = ("number", "issuer", "issuer_code", "issued_on", "valid_until")


def _kind_words(kind: str | None) -> str:
    return {
        "permit": _("a residence permit"),
        "temporary": _("a temporary permit"),
        "formal": _("a formal permit"),
        None: _("no permit"),
    }.get(kind, kind or "")


def _housing_words(kind: str) -> str:
    return {
        "owned": _("an owned home"),
        "filed_rental": _("a filed rental"),
        "rental": _("a rental without a filed contract"),
        "": _("no recorded housing"),
    }.get(kind, kind)


def missing_text(part: tuple) -> str:
    """One unmet part in words: "needs a formal permit (has a temporary one)"."""
    rule, needed, has = part
    if rule == "permit":
        needs = _(" or ").join(_kind_words(k) for k in needed)
        return _("needs %(needs)s (has %(has)s)") % {"needs": needs, "has": _kind_words(has)}
    if rule == "permit_valid":
        status = {"suspended": _("it is suspended"), "expired": _("it has expired")}.get(has, has or "")
        return _("needs a valid permit (%(status)s)") % {"status": status}
    if rule == "min_years_held":
        return _("needs the permit held %(n)d years (held %(has)d)") % {"n": needed, "has": has}
    if rule == "min_social_insurance_months":
        return _("needs %(n)d months of social insurance (has %(has)d)") % {"n": needed, "has": has}
    if rule == "housing":
        needs = _(" or ").join(_housing_words(k) for k in needed)
        return _("needs %(needs)s (has %(has)s)") % {"needs": needs, "has": _housing_words(has)}
    return f"{rule}: {needed} ({has})"


@dataclass
class RightLine:
    code: str
    label: str
    granted: bool
    missing: list[dict] = field(default_factory=list)

    @classmethod
    def of(cls, verdict: Verdict) -> "RightLine":
        parts = [
            {"rule": rule, "needed": needed, "has": has, "text": missing_text((rule, needed, has))}
            for rule, needed, has in verdict.missing
        ]
        return cls(code=verdict.code, label=verdict.label, granted=verdict.granted, missing=parts)


@dataclass
class RightsView:
    person: Person
    on: dt.date
    profile: str
    version: str
    explained: PersonFacts
    rights: list[RightLine]


@dataclass
class SettlementView:
    person: Person
    on: dt.date
    profile: str
    eligible: bool | None
    missing: list[dict]
    note: str


def _person(user, person_id: int) -> Person:
    person = scoped(Person.objects.all(), user).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    return person


def rights_view(*, user, person_id: int, on: dt.date | None = None) -> RightsView:
    """Each right of the person's area profile, granted or not, and why not."""
    on = on or current_day()
    person = _person(user, person_id)
    explained = person_facts_explained(person, on)
    profile = explained.policy.rights_profile if explained.policy is not None else "national"
    version, _rights = rights_load(profile)
    lines = [RightLine.of(v) for v in rights_for(explained.facts, profile)]
    return RightsView(person, on, profile, version, explained, lines)


@lru_cache(maxsize=1)
def _settlement_profiles() -> frozenset[str]:
    return frozenset(json.loads((DATA / "settlement.json").read_text(encoding="utf-8")))


def settlement_view(*, user, person_id: int, on: dt.date | None = None, explained=None) -> SettlementView:
    """Whether the person meets their city's settlement conditions, and what is missing; an area without a
    settlement profile says so.
    """
    on = on or current_day()
    person = _person(user, person_id)
    explained = explained or person_facts_explained(person, on)
    profile = explained.policy.settlement_profile if explained.policy is not None else ""
    if not profile or profile not in _settlement_profiles():
        return SettlementView(person, on, "", None, [], _("This area has no settlement profile"))
    verdict = settlement_check(explained.facts, profile)
    line = RightLine.of(verdict)
    return SettlementView(person, on, profile, verdict.granted, line.missing, "")


def certificate_valid_q(on: dt.date) -> Q:
    return Q(status=MarriageCertificate.Status.VALID, issued_on__lte=on, valid_until__gte=on)


def certificate_list(*, user, person_id: int, on: dt.date | None = None) -> list[MarriageCertificate]:
    """The person's certificates inside scope, newest first, each marked valid or not on the day."""
    on = on or current_day()
    rows = list(
        scoped(MarriageCertificate.objects.all(), user)
        .filter(person_id=person_id)
        .select_related("recorded_by")
        .order_by("-issued_on", "-id")
    )
    for row in rows:
        row.is_valid = row.status == MarriageCertificate.Status.VALID and row.issued_on <= on <= row.valid_until
    return rows


def marriage_certificate_verify(
    *, context: hub.CallContext, doc_type: str, doc_number: str, area_code: str | None = None
) -> dict:
    """Yes or no: does the document's holder, living inside the grant's area, hold a valid marriage-and-
    childbearing certificate today? Only fields the grant names (of CERTIFICATE_FIELDS) are added to a yes;
    a person living outside the area is answered false, exactly as the residence verification does. An area
    outside every grant is refused, and every call is logged.
    """
    doc_number = normalize_document_number(doc_number)
    area_code = (area_code or "").strip() or None
    request = {"doc_type": doc_type, "doc_number": doc_number, "area_code": area_code}
    action, dataset = "exchange.verify", CERTIFICATE_DATASET
    grants = hub.grants_for(context.subsystem, dataset, Way.VERIFY)
    if not grants:
        _refuse(context, action, dataset, request, division_code=area_code or "")
    problems = _document_problems(doc_type, doc_number) + _context_problems(context, required=())
    if area_code is not None and not Division.objects.filter(code=area_code).exists():
        problems.append(FieldProblem("area_code", "exchange.area_unknown", _("Not a division")))
    if problems:
        _refuse(context, action, dataset, request, outcome="invalid", problems=problems)
    areas = hub.granted_areas(grants)
    if area_code is not None:
        if not any(area_code.startswith(area) for area in areas):
            _refuse(context, action, dataset, request, division_code=area_code)
        areas = [area_code]
    today = current_day()
    person = person_by_document(doc_type, doc_number)
    response: dict = {"answer": False}
    if person is not None:
        inside = Q()
        for area in areas:
            inside |= within("community_id", area)
        communities = set(
            Stay.objects.filter(inside, person=person, departed_on__isnull=True, arrived_on__lte=today).values_list(
                "community_id", flat=True
            )
        )
        certificate = (
            MarriageCertificate.objects.filter(certificate_valid_q(today), person=person)
            .order_by("-valid_until", "-id")
            .first()
            if communities
            else None
        )
        if certificate is not None:
            response["answer"] = True
            granted = fields_in_area(communities, grants)
            for name in CERTIFICATE_FIELDS:
                if name in granted:
                    value = getattr(certificate, name)
                    response[name] = value.isoformat() if isinstance(value, dt.date) else value
    if not context.purpose.strip():
        context.purpose = grants[0].purpose
    hub.access_log(
        context=context,
        action=action,
        dataset=dataset,
        outcome=ANSWERED,
        request=request,
        response=response,
        division_code=areas[0] if len(areas) == 1 else "",
        obj=person,
        extra={"way": Way.VERIFY, "area": area_code or ",".join(areas)},
    )
    return response
