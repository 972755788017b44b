"""Reads of applications and permits, always through the user's scope; deadlines and states as of a day."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from liuguan.core.errors import NotFound
from liuguan.core.scoping import scoped
from liuguan.registry.models import Person, Stay
from liuguan.registry.selectors import person_search

from .models import Application, Endorsement, Permit, PermitEvent, PermitPolicy
from .policy import add_months, policy_from, requirements
from .services.applications import engine_view, reason_text
from .services.common import current_day
from .services.permits import state_of
from .services.policies import Condition, policy_for

AWAITING = (Application.Status.ACCEPTED, Application.Status.APPROVED)

# The steps of the trail as people read them (PermitEvent.action holds the code).
STEP_LABELS = {
    "received": pgettext_lazy("permit step", "Received"),
    "notice": pgettext_lazy("permit step", "Notice of missing materials given"),
    "accepted": pgettext_lazy("permit step", "Accepted"),
    "extended": pgettext_lazy("permit step", "Deadline extended"),
    "approved": pgettext_lazy("permit step", "Approved"),
    "refused": pgettext_lazy("permit step", "Refused"),
    "issued": pgettext_lazy("permit step", "Issued"),
    "printed": pgettext_lazy("permit step", "Printed"),
    "reprinted": pgettext_lazy("permit step", "Reprinted"),
    "handed_over": pgettext_lazy("permit step", "Handed over"),
    "endorsed": pgettext_lazy("permit step", "Endorsed"),
    "suspended": pgettext_lazy("permit step", "Suspended"),
    "restored": pgettext_lazy("permit step", "Restored by a late endorsement"),
    "expired": pgettext_lazy("permit step", "Expired"),
    "upgraded": pgettext_lazy("permit step", "Upgraded"),
    "revoked": pgettext_lazy("permit step", "Revoked"),
    "replaced": pgettext_lazy("permit step", "Replaced"),
    "demo_overdue": pgettext_lazy("permit step", "Issue date moved back by the demo (endorsement left overdue)"),
}


# What the note of a step is (the trail stores dates and numbers, the page says what they are).
NOTE_PREFIXES = {
    "accepted": pgettext_lazy("permit step note", "decision due"),
    "endorsed": pgettext_lazy("permit step note", "on"),
    "restored": pgettext_lazy("permit step note", "years count again from"),
    "suspended": pgettext_lazy("permit step note", "from"),
    "expired": pgettext_lazy("permit step note", "term ended"),
    "issued": pgettext_lazy("permit step note", "permit"),
    "upgraded": pgettext_lazy("permit step note", "by permit"),
}


def _has_permit() -> Exists:
    return Exists(Permit.objects.filter(application=OuterRef("pk")))


def overdue_q(today: dt.date) -> Q:
    """Past its deadline without a decision, or approved and still not issued (Art. 9: issued within the days)."""
    return Q(due_on__lt=today) & (
        Q(status=Application.Status.ACCEPTED) | Q(status=Application.Status.APPROVED, has_permit=False)
    )


def _applications(user):
    return scoped(Application.objects.all(), user).annotate(has_permit=_has_permit())


def _mark(rows, today: dt.date) -> list[Application]:
    rows = list(rows)
    for app in rows:
        pending = app.status == Application.Status.ACCEPTED or (
            app.status == Application.Status.APPROVED and not app.has_permit
        )
        app.is_overdue = bool(pending and app.due_on and app.due_on < today)
    return rows


def application_list(
    *, user, status: str = "", overdue: bool = False, query: str = "", today: dt.date | None = None, limit: int = 200
) -> list[Application]:
    """Applications inside scope, newest first; `overdue` keeps those past their deadline."""
    today = today or current_day()
    qs = _applications(user).select_related("person", "community", "policy").prefetch_related("permits")
    if status in Application.Status.values:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(overdue_q(today)).order_by("due_on", "id")
    if query:
        qs = qs.filter(Q(number=query.strip()) | Q(person__name__startswith=query.strip()))
    return _mark(qs[:limit], today)


def application_get(*, user, application_id: int, today: dt.date | None = None) -> Application:
    """One application inside scope with its checklist, trail and permits; outside scope it does not exist."""
    today = today or current_day()
    found = (
        _applications(user)
        .select_related("person", "stay", "stay__community", "community", "policy", "received_by", "decided_by")
        .filter(pk=application_id)
        .first()
    )
    if found is None:
        raise NotFound()
    _mark([found], today)
    found.condition_label = dict(Condition.choices).get(found.condition, found.condition)
    return found


def checklist(application: Application) -> list[dict]:
    """The checklist lines for this application, with the materials brought and whether each line is met."""
    policy = policy_from(application.policy)
    lines = []
    for requirement in requirements(policy, condition=application.condition, kind=application.permit_kind):
        lines.append(
            {
                "requirement": requirement,
                "met": requirement.met(application.materials),
                "items": [
                    (code, policy.material_label(code), bool(application.materials.get(code)))
                    for code in requirement.any_of
                ],
            }
        )
    return lines


def notice_lines(application: Application) -> list[dict]:
    """What the single notice listed: each missing line with the materials any one of which meets it."""
    policy = policy_from(application.policy)
    by_code = {r.code: r for r in policy.checklist}
    lines = []
    for code in application.notice_missing:
        requirement = by_code.get(code)
        if requirement is None:
            lines.append({"label": code, "any_of": []})
            continue
        lines.append({"label": requirement.label, "any_of": [policy.material_label(m) for m in requirement.any_of]})
    return lines


def eligibility_view(application: Application, today: dt.date | None = None) -> dict:
    """The engine's verdict on the application today, in words, for the decision form."""
    found, since, policy = engine_view(application, today or current_day())
    return {
        "eligible": found.eligible,
        "kind": found.kind,
        "kind_label": policy.kind(found.kind).label if found.kind else "",
        "matches": found.eligible and found.kind == application.permit_kind,
        "reasons": [reason_text(r, found.eligible_from) for r in found.reasons],
        "residence_since": since,
        "eligible_from": found.eligible_from,
        "policy": f"{application.policy.title} ({application.policy.code} {application.policy.version})",
    }


def trail(*, application: Application | None = None, permit: Permit | None = None) -> list[PermitEvent]:
    """Every step, oldest first: the application's and the permit's, with who took each."""
    conditions = Q(pk__in=[])
    if application is not None:
        conditions |= Q(application=application)
    if permit is not None:
        conditions |= Q(permit=permit)
    events = list(PermitEvent.objects.filter(conditions).select_related("actor").order_by("at", "id"))
    kinds = dict(Application.Kind.choices)
    for step in events:
        step.label = STEP_LABELS.get(step.action, step.action)
        prefix = NOTE_PREFIXES.get(step.action)
        if step.action == "received":
            step.text = kinds.get(step.note, step.note)
        elif prefix and step.note:
            step.text = f"{prefix} {step.note}"
        else:
            step.text = step.note
    return events


def kind_labels() -> dict[str, str]:
    """Each permit kind's label under the loaded policies (the data holds them in Chinese, as printed on cards)."""
    labels = {}
    for row in PermitPolicy.objects.all():
        labels.update({k.code: k.label for k in policy_from(row).kinds})
    return labels


def permit_list(
    *, user, status: str = "", stage: str = "", query: str = "", kind: str = "", limit: int = 200
) -> list[Permit]:
    """Permits inside scope, newest first; stage "unprinted" or "not_handed_over" narrows issued ones."""
    qs = scoped(Permit.objects.select_related("person", "community", "policy"), user)
    if status in Permit.Status.values:
        qs = qs.filter(status=status)
    if stage == "unprinted":
        qs = qs.filter(status=Permit.Status.ISSUED, printed_at__isnull=True)
    elif stage == "not_handed_over":
        qs = qs.filter(status=Permit.Status.ISSUED, printed_at__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    if query:
        qs = qs.filter(Q(number=query.strip()) | Q(person__name__startswith=query.strip()))
    rows, labels = list(qs[:limit]), kind_labels()
    for permit in rows:
        permit.kind_label = labels.get(permit.kind, permit.kind)
    return rows


def permit_get(*, user, permit_id: int, today: dt.date | None = None) -> Permit:
    """One permit inside scope with its state today, endorsements and the permits before and after it."""
    found = (
        scoped(Permit.objects.select_related("person", "community", "application", "policy", "replaced_by"), user)
        .filter(pk=permit_id)
        .first()
    )
    if found is None:
        raise NotFound()
    found.state = state_of(found, today or current_day())
    found.policy_rules = policy_from(found.policy)
    found.kind_label = _kind_label(found.policy_rules, found.kind)
    return found


def _kind_label(policy, kind: str) -> str:
    try:
        return policy.kind(kind).label
    except KeyError:
        return kind


def permit_before(permit: Permit) -> Permit | None:
    """The permit this one upgraded or replaced, if any (read through the application, in the same scope)."""
    return Permit.objects.filter(replaced_by=permit).first()


def endorsed_kinds() -> set[str]:
    """Kinds of permit endorsed every year under any loaded policy (national "permit", Chengdu "formal")."""
    kinds = set()
    for row in PermitPolicy.objects.all():
        kinds |= {k.code for k in policy_from(row).kinds if k.endorsed_yearly}
    return kinds


def endorsements_due_qs(user, today: dt.date):
    """Permits in force whose endorsement window is open during this month and that are not yet endorsed in it.

    A year completes on the anniversary of `counted_from` (on-time endorsements carry it on unchanged) and its
    window is the month before, so the windows open this month belong to anniversaries this month and next.
    """
    first = today.replace(day=1)
    window_start = add_months(first, -1)
    recent = Endorsement.objects.filter(permit=OuterRef("pk"), on__gte=window_start)
    return (
        scoped(Permit.objects.all(), user)
        .filter(status=Permit.Status.VALID, kind__in=endorsed_kinds(), counted_from__lt=first)
        .annotate(anniversary_month=ExtractMonth("counted_from"))
        .filter(anniversary_month__in=(today.month, today.month % 12 + 1))
        .exclude(Exists(recent))
    )


def endorsements_due(*, user, today: dt.date | None = None, limit: int = 200) -> list[Permit]:
    today = today or current_day()
    rows = list(endorsements_due_qs(user, today).select_related("person", "community").order_by("counted_from")[:limit])
    for permit in rows:
        permit.state = state_of(permit, today)
    return rows


def endorsements_overdue(*, today: dt.date | None = None, batch_size: int = 1000):
    """Every permit in force whose yearly endorsement is overdue on `today`, with its state, oldest first.

    Judged by the permit's own policy and endorsements, as the verification page does, not by the stored status
    alone: a permit whose year completed yesterday without an endorsement counts before the nightly refresh has
    suspended it. Unscoped: for the system's own rules (grid events), never for a page.
    """
    today = today or current_day()
    policies = {row.pk: policy_from(row) for row in PermitPolicy.objects.all()}
    kinds = endorsed_kinds()
    last = 0
    while True:
        batch = list(
            Permit.objects.filter(
                status__in=(Permit.Status.VALID, Permit.Status.SUSPENDED), kind__in=kinds, pk__gt=last
            )
            .select_related("application", "person")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return
        last = batch[-1].pk
        endorsed: dict[int, list] = {p.pk: [] for p in batch}
        for permit_id, day in Endorsement.objects.filter(permit_id__in=list(endorsed)).values_list("permit_id", "on"):
            endorsed[permit_id].append(day)
        for permit in batch:
            state = state_of(permit, today, policy=policies[permit.policy_id], endorsed=endorsed[permit.pk])
            if state.status == Permit.Status.SUSPENDED:
                yield permit, state


def permits_overview(*, user, today: dt.date | None = None) -> dict[str, int]:
    """The counts on the permits index: what waits on the office, and what is overdue."""
    today = today or current_day()
    # Midnight in China on the first of the month: a range on the column, which its index can serve.
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    apps = _applications(user)
    permits = scoped(Permit.objects.all(), user)
    return {
        "received": apps.filter(received_at__gte=month_start).count(),
        "incomplete": apps.filter(status=Application.Status.INCOMPLETE).count(),
        "awaiting": apps.filter(status=Application.Status.ACCEPTED).count(),
        "overdue": apps.filter(overdue_q(today)).count(),
        "to_issue": apps.filter(status=Application.Status.APPROVED, has_permit=False).count(),
        "unprinted": permits.filter(status=Permit.Status.ISSUED, printed_at__isnull=True).count(),
        "not_handed_over": permits.filter(status=Permit.Status.ISSUED, printed_at__isnull=False).count(),
        "endorsements_due": endorsements_due_qs(user, today).count(),
        "suspended": permits.filter(status=Permit.Status.SUSPENDED).count(),
        "valid": permits.filter(status=Permit.Status.VALID).count(),
    }


def applicants(*, user, query: str, limit: int = 20) -> list[Person]:
    """People inside scope by name, pinyin or document number (the registry's search), to apply for."""
    return person_search(user=user, query=query, limit=limit)


def applicant_get(*, user, person_id: int) -> Person:
    person = scoped(Person.objects.all(), user).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    return person


def open_stays(*, user, person: Person, today: dt.date | None = None) -> list[Stay]:
    """The person's open stays inside the user's area, each with the policy that governs it and the engine's
    suggestion of kind (the stay's continuous residence and the policy's kinds).
    """
    today = today or current_day()
    stays = list(
        scoped(Stay.objects.select_related("community", "house"), user)
        .filter(person=person, departed_on__isnull=True)
        .order_by("-arrived_on", "-id")
    )
    for stay in stays:
        row = policy_for(stay.community_id, today)
        stay.policy_row = row
        stay.policy_rules = policy_from(row) if row else None
    return stays


def person_permits(*, user, person: Person) -> list[Permit]:
    """The person's permits and open applications inside scope, for the person page and the application form."""
    return list(scoped(Permit.objects.filter(person=person), user).order_by("-issued_on", "-id"))


def person_open_applications(*, user, person: Person) -> list[Application]:
    return list(
        _applications(user)
        .filter(person=person)
        .filter(
            Q(status__in=(Application.Status.INCOMPLETE, Application.Status.ACCEPTED))
            | Q(status=Application.Status.APPROVED, has_permit=False)
        )
    )
