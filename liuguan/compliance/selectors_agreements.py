"""Reads of agreements, breaches, coverage, tiers and foreigners' documents, always through the user's scope."""

import datetime as dt

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.functions import Substr

from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today, mask_document_number
from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.geo.models import Division
from liuguan.registry.codes import HouseKind
from liuguan.registry.models import Employer, House, Lodging, Person, Stay

from .codes import AgreementState, Tier
from .models import AgreementReminder, Breach, ClassificationRule, ForeignDocument, PersonTier, ResponsibilityAgreement
from .services.agreements import agreement_state, in_force_q, later_agreement_exists, state_q

CHILD_LENGTH = {2: 4, 4: 6, 6: 9, 9: 12}
FOREIGN_DOC_WARNING_DAYS = 30


def _with_state(agreements, today: dt.date) -> list[ResponsibilityAgreement]:
    rows = list(agreements)
    for agreement in rows:
        agreement.state = agreement_state(agreement, today)
    return rows


def agreement_list(
    *, user, today: dt.date | None = None, state: str = "", kind: str = "", community_code: str = "", limit: int = 200
) -> list[ResponsibilityAgreement]:
    """Agreements inside scope, the soonest ending first, optionally of one state, kind or division."""
    today = today or china_today()
    qs = scoped(ResponsibilityAgreement.objects.select_related("community", "house", "lodging", "employer"), user)
    if state in AgreementState.values:
        qs = qs.filter(state_q(state, today))
    if kind:
        qs = qs.filter(kind=kind)
    if community_code:
        qs = qs.filter(within("community_id", community_code))
    return _with_state(qs.order_by("ends_on", "id")[:limit], today)


def agreements_expired(
    *, user, today: dt.date | None = None, limit: int | None = None
) -> list[ResponsibilityAgreement]:
    """Agreements inside scope whose term has ended without renewal or termination: the party is uncovered.

    Signing a fresh agreement with the same party counts as renewing it.
    """
    today = today or china_today()
    qs = (
        scoped(ResponsibilityAgreement.objects.select_related("community", "house", "lodging", "employer"), user)
        .filter(ends_on__lt=today, terminated_on__isnull=True)
        .exclude(later_agreement_exists())
        .order_by("ends_on", "id")
    )
    return _with_state(qs[:limit] if limit else qs, today)


def agreement_get(*, user, agreement_id: int, today: dt.date | None = None) -> ResponsibilityAgreement:
    """One agreement inside scope with its text, renewals and breaches; outside scope it does not exist."""
    agreement = (
        scoped(ResponsibilityAgreement.objects.select_related("template", "community", "renews", "officer"), user)
        .filter(pk=agreement_id)
        .first()
    )
    if agreement is None:
        raise NotFound()
    agreement.state = agreement_state(agreement, today or china_today())
    return agreement


def reminders_open(*, user, today: dt.date | None = None) -> list[AgreementReminder]:
    """Renewal reminders not yet dealt with, for agreements inside scope, the soonest ending first."""
    today = today or china_today()
    in_scope = scoped(ResponsibilityAgreement.objects.all(), user)
    reminders = (
        AgreementReminder.objects.filter(done_at__isnull=True, agreement__in=in_scope)
        .select_related("agreement", "agreement__community")
        .order_by("due_on", "id")
    )
    rows = list(reminders)
    for reminder in rows:
        reminder.days_left = (reminder.due_on - today).days
    return rows


def breach_list(
    *, user, agreement_id: int | None = None, community_code: str = "", kind: str = "", limit: int = 200
) -> list[Breach]:
    """Breaches inside scope, newest first, for one agreement or under one division."""
    qs = scoped(Breach.objects.select_related("agreement", "community", "house", "lodging", "employer", "person"), user)
    if agreement_id:
        qs = qs.filter(agreement_id=agreement_id)
    if community_code:
        qs = qs.filter(within("community_id", community_code))
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("-occurred_on", "-id")[:limit])


def _share(covered: int, total: int) -> float | None:
    return round(100 * covered / total, 1) if total else None


def coverage(*, user, min_staff: int = 10, today: dt.date | None = None) -> dict:
    """Per child division of the user's jurisdiction and in total: how many rental houses, hotels and employers
    with at least `min_staff` staff hold an agreement in force today, of how many. One grouped query per kind.
    """
    today = today or china_today()
    code = jurisdiction(user)
    if code is None:
        return {"rows": [], "total": None, "min_staff": min_staff, "today": today}
    length = CHILD_LENGTH.get(len(code), len(code))
    parties = {
        "houses": (House.objects.filter(kind=HouseKind.RENTAL), "house"),
        "hotels": (Lodging.objects.all(), "lodging"),
        "employers": (Employer.objects.filter(staff_size__gte=min_staff), "employer"),
    }
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for name, (qs, field) in parties.items():
        held = Exists(ResponsibilityAgreement.objects.filter(in_force_q(today), **{field: OuterRef("pk")}))
        grouped = (
            scoped(qs, user)
            .annotate(area=Substr("community_id", 1, length), held=held)
            .values("area")
            .annotate(total=Count("pk"), covered=Count("pk", filter=Q(held=True)))
            .order_by()
        )
        counts[name] = {row["area"]: (row["covered"], row["total"]) for row in grouped}
    if length == len(code):
        areas = list(Division.objects.filter(code=code))
    else:
        areas = list(Division.objects.filter(parent_id=code).order_by("code"))
    known = {d.code for d in areas}
    stray = sorted({area for per in counts.values() for area in per} - known)  # codes missing from the tree
    rows = []
    for area_code, name in [(d.code, d.name) for d in areas] + [(c, c) for c in stray]:
        row = {"code": area_code, "name": name}
        for kind in parties:
            covered, total = counts[kind].get(area_code, (0, 0))
            row[kind] = {"covered": covered, "total": total, "share": _share(covered, total)}
        rows.append(row)
    total = {"code": code, "name": ""}
    for kind in parties:
        covered = sum(c for c, _t in counts[kind].values())
        all_ = sum(t for _c, t in counts[kind].values())
        total[kind] = {"covered": covered, "total": all_, "share": _share(covered, all_)}
    return {"rows": rows, "total": total, "min_staff": min_staff, "today": today}


def foreigners_flagged(
    *, user, today: dt.date | None = None, within_days: int = FOREIGN_DOC_WARNING_DAYS, limit: int = 500
) -> list[dict]:
    """Foreigners with an open stay inside scope whose latest visa or residence document ends within
    `within_days` or has ended, the soonest (or longest expired) first; document numbers masked.
    """
    today = today or china_today()
    code = jurisdiction(user)
    if code is None:
        return []
    open_here = Stay.objects.filter(within("community_id", code), departed_on__isnull=True, person=OuterRef("pk"))
    people = list(
        scoped(Person.objects.all(), user)
        .filter(Exists(open_here))
        .exclude(nationality="CHN")
        .annotate(doc_ends=Max("foreign_documents__expires_on"))
        .filter(doc_ends__lte=today + dt.timedelta(days=within_days))
        .order_by("doc_ends", "pk")[:limit]
    )
    ids = [p.pk for p in people]
    latest: dict[int, ForeignDocument] = {}
    for doc in ForeignDocument.objects.filter(person_id__in=ids).order_by("person_id", "expires_on", "id"):
        latest[doc.person_id] = doc
    stays: dict[int, Stay] = {}
    for stay in (
        Stay.objects.filter(within("community_id", code), departed_on__isnull=True, person_id__in=ids)
        .select_related("community")
        .order_by("person_id", "arrived_on", "id")
    ):
        stays[stay.person_id] = stay
    rows = []
    for person in people:
        doc = latest[person.pk]
        rows.append(
            {
                "person": person,
                "doc_number_masked": person.doc_number_masked,
                "document": doc,
                "document_number_masked": mask_document_number(doc.number) if doc.number else "",
                "expires_on": doc.expires_on,
                "days_left": (doc.expires_on - today).days,
                "days_overdue": (today - doc.expires_on).days,
                "expired": doc.expires_on < today,
                "stay": stays.get(person.pk),
            }
        )
    return rows


def person_tier(*, user, person: Person) -> PersonTier | None:
    """The tier of a person the user may already see (the caller has checked scope), with its rule."""
    if not user.can("person.view"):
        return None
    return PersonTier.objects.filter(person=person).select_related("rule").first()


def classification_overview(*, user) -> dict:
    """The rules that apply inside the user's jurisdiction, in order, and how many people in scope (with an open
    stay there) each rule and each tier holds.
    """
    code = jurisdiction(user)
    if code is None:
        return {"rules": [], "tiers": [], "unclassified": 0}
    rules = [
        r
        for r in ClassificationRule.objects.order_by("prefix", "position")
        if r.prefix.startswith(code) or code.startswith(r.prefix)
    ]
    open_here = Stay.objects.filter(within("community_id", code), departed_on__isnull=True)
    people = Person.objects.filter(Exists(open_here.filter(person=OuterRef("pk"))))
    per_rule = dict(
        PersonTier.objects.filter(person__in=people)
        .values("rule_id")
        .annotate(n=Count("id"))
        .values_list("rule_id", "n")
    )
    per_tier = dict(
        PersonTier.objects.filter(person__in=people).values("tier").annotate(n=Count("id")).values_list("tier", "n")
    )
    for rule in rules:
        rule.people = per_rule.get(rule.pk, 0)
    classified = sum(per_tier.values())
    return {
        "rules": rules,
        "tiers": [{"tier": t, "label": t.label, "people": per_tier.get(t.value, 0)} for t in Tier],
        "unclassified": people.count() - classified,
    }
