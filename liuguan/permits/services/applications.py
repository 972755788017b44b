"""Applications for a residence permit: receipt with the checklist, the single notice, acceptance, decision.

Order 663 Art. 9: the applicant brings the ID card, a photo and proof of residence, employment or study;
everything missing is told at once (一次性告知); a complete application is decided within 15 working days of
acceptance (30 where extended). The decision is the policy engine's, recorded with the policy version used.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.scoping import scoped, within
from liuguan.registry.models import Person, Stay

from ..models import Application, Permit, PermitEvent, PermitPolicy
from ..policy import Eligibility, Policy, Reason, decision_due, eligibility, missing_materials, policy_from
from .common import audit_many, create_numbered, current_day, event, who
from .policies import choose_policy, no_policy, policies_in_force

DAY = dt.timedelta(days=1)
# Applications still in the office's hands; a person has at most one at a time.
OPEN_STATUSES = (Application.Status.RECEIVED, Application.Status.INCOMPLETE, Application.Status.ACCEPTED)
LIVE_PERMITS = (Permit.Status.ISSUED, Permit.Status.VALID, Permit.Status.SUSPENDED)

REASON_TEXT = {
    Reason.RESIDENCE_TOO_SHORT: _("Residence in the city is shorter than the policy requires"),
    Reason.NO_CONDITION: _("None of lawful stable employment, lawful stable residence or continuous study is shown"),
    Reason.RESIDENCE_TOO_LONG: _("Residence is longer than this kind of permit is for; apply for the formal permit"),
}


def reason_text(reason: str, eligible_from: dt.date | None = None) -> str:
    text = str(REASON_TEXT.get(Reason(reason), reason))
    if reason == Reason.RESIDENCE_TOO_SHORT and eligible_from:
        text += str(_(" (eligible from %(day)s)") % {"day": eligible_from.isoformat()})
    return text


def residence_since(stay: Stay) -> dt.date:
    """The start of continuous residence in the stay's city: its arrival, moved back over earlier stays in the
    same city (the same four-digit prefecture code) that end the day before or later, so a move across town
    does not restart the count.
    """
    earlier = (
        Stay.objects.filter(within("community_id", stay.community_id[:4]), person_id=stay.person_id)
        .filter(arrived_on__lt=stay.arrived_on)
        .exclude(pk=stay.pk)
        .values_list("arrived_on", "departed_on")
    )
    return continuous_since(stay.arrived_on, list(earlier))


def continuous_since(arrived_on: dt.date, earlier: list[tuple[dt.date, dt.date | None]]) -> dt.date:
    """The rule of `residence_since` over (arrived, departed) pairs of the person's other stays in the city."""
    start = arrived_on
    for arrived, departed in sorted(earlier, key=lambda pair: pair[0], reverse=True):
        if arrived < start and (departed is None or departed >= start - DAY):
            start = arrived
    return start


def engine_view(application: Application, on: dt.date | None = None) -> tuple[Eligibility, dt.date, Policy]:
    """What the policy engine says of an application on a day: eligibility, residence since, the rules used."""
    on = on or current_day()
    policy = policy_from(application.policy)
    since = residence_since(application.stay)
    return eligibility(policy, residence_since=since, on=on, conditions={application.condition}), since, policy


def _materials(policy: Policy, given: dict | None, problems: list[FieldProblem]) -> dict:
    known = dict(policy.materials)
    unknown = [code for code, brought in (given or {}).items() if brought and code not in known]
    if unknown:
        problems.append(
            FieldProblem(
                "materials",
                "permit.material_unknown",
                _("Unknown material: %(codes)s") % {"codes": ", ".join(sorted(unknown))},
            )
        )
    return {code: True for code, brought in (given or {}).items() if brought and code in known}


def _open_stay(actor, person: Person, stay_id: int | None) -> Stay:
    stay = scoped(Stay.objects.select_related("community", "house"), actor).filter(pk=stay_id, person=person).first()
    if stay is None:
        raise InvalidInput(
            [FieldProblem("stay_id", "permit.stay_in_scope", _("Choose the applicant's stay inside your area"))]
        )
    if stay.departed_on is not None:
        raise InvalidInput(
            [
                FieldProblem(
                    "stay_id", "permit.stay_open", _("The applicant has left this residence; choose an open stay")
                )
            ]
        )
    return stay


def live_permit(person_id: int) -> Permit | None:
    return Permit.objects.filter(person_id=person_id, status__in=LIVE_PERMITS).order_by("-issued_on", "-id").first()


def _open_q() -> Q:
    # Approved but not yet issued is still open.
    return Q(status__in=OPEN_STATUSES) | Q(status=Application.Status.APPROVED) & ~Exists(
        Permit.objects.filter(application=OuterRef("pk"))
    )


def _guard_one_at_a_time(people: dict[int, str]) -> None:
    """One open application per person; a new permit only for someone holding none. `people`: id -> kind."""
    pending = Application.objects.filter(person_id__in=list(people)).filter(_open_q()).order_by("id").first()
    if pending is not None:
        raise Conflict(
            _("Application %(number)s of this person is still open") % {"number": pending.number},
            field="person_id",
            rule="permit.application_open",
            existing_id=pending.pk,
        )
    new = [pk for pk, kind in people.items() if kind == Application.Kind.NEW]
    held = Permit.objects.filter(person_id__in=new, status__in=LIVE_PERMITS).order_by("id").first()
    if held is not None:
        raise Conflict(
            _("This person already holds permit %(number)s; endorse, upgrade or replace it instead")
            % {"number": held.number},
            field="person_id",
            rule="permit.already_held",
            existing_id=held.pk,
        )


@dataclass(frozen=True)
class ApplicationEntry:
    """One application to receive: whose, for which stay, which kind and condition, what was brought."""

    person_id: int
    stay_id: int
    permit_kind: str
    condition: str
    materials: dict = field(default_factory=dict)
    channel: str = Application.Channel.STATION
    kind: str = Application.Kind.NEW


@dataclass
class _Prepared:
    person: Person
    stay: Stay
    row: PermitPolicy
    policy: Policy
    permit_kind: str
    condition: str
    brought: dict
    channel: str
    kind: str
    replaces: Permit | None


@transaction.atomic
def application_receive(
    *,
    actor,
    person_id: int,
    stay_id: int,
    permit_kind: str,
    condition: str,
    materials: dict,
    channel: str = Application.Channel.STATION,
    kind: str = Application.Kind.NEW,
    source: str = "web",
) -> Application:
    """Receive an application at the applicant's residence; if materials are missing, one notice lists them all.

    The stay must be the person's open stay inside the actor's area, and its community chooses the policy.
    A complete application is accepted today and must be decided within the policy's working days.
    An upgrade (kind "upgrade") is for a holder of a permit the requested kind upgrades.
    """
    entry = ApplicationEntry(person_id, stay_id, permit_kind, condition, materials or {}, channel, kind)
    return applications_receive(actor=actor, entries=[entry], source=source)[0]


@transaction.atomic
def applications_receive(*, actor, entries: list[ApplicationEntry], source: str = "web") -> list[Application]:
    """Receive several applications at once (an employer's or school's collective application, Art. 8), each
    checked as if alone; one problem anywhere and nothing is written. Field names carry the entry's index.
    """
    if not actor.can("permit.apply"):
        raise PermissionDenied()
    if not entries:
        return []
    # Locked: one application at a time per person, even when two officers receive at once.
    people = scoped(Person.objects.select_for_update(of=("self",)), actor).in_bulk([e.person_id for e in entries])
    if len(people) < len({e.person_id for e in entries}):
        raise NotFound()
    stays = scoped(Stay.objects.select_related("community", "house"), actor).in_bulk([e.stay_id for e in entries])
    today = current_day()
    in_force = policies_in_force(today)
    held = {}
    if any(e.kind == Application.Kind.UPGRADE for e in entries):
        for permit in Permit.objects.filter(person_id__in=list(people), status__in=LIVE_PERMITS).order_by("issued_on"):
            held[permit.person_id] = permit
    problems: list[FieldProblem] = []
    prepared: list[_Prepared] = []
    for index, entry in enumerate(entries):
        found: list[FieldProblem] = []
        item = _prepare(entry, people[entry.person_id], stays.get(entry.stay_id), in_force, held, found)
        prefix = f"{index}." if len(entries) > 1 else ""
        problems += [FieldProblem(prefix + p.field, p.rule, p.message) for p in found]
        prepared.append(item)
    if len({e.person_id for e in entries}) < len(entries):
        problems.append(FieldProblem("person_id", "permit.application_open", _("A person appears twice")))
    if problems:
        raise InvalidInput(problems)
    _guard_one_at_a_time({item.person.pk: item.kind for item in prepared})
    return _create(actor=actor, prepared=prepared, source=source)


def tell_portal_applicant(application: Application) -> None:
    """An application made through the portal: its applicant is told of each change in their portal inbox."""
    if application.channel != Application.Channel.PORTAL:
        return
    from liuguan.portal.services import notify

    notify(
        person=application.person,
        title=_("Residence permit application %(number)s: %(status)s")
        % {"number": application.number, "status": application.get_status_display()},
        body=application.reasons or "",
        link="/portal/permit/",
    )


@transaction.atomic
def application_submit_own(
    *, actor, stay_id: int, permit_kind: str, condition: str, materials: dict | None = None, source: str = "portal"
) -> Application:
    """A migrant applies through the portal for a new permit on their own open stay; the station then treats it
    like any other (what cannot be brought online is listed at once on the notice).
    """
    if not actor.can("portal.use") or getattr(actor, "person_id", None) is None:
        raise PermissionDenied()
    # Ownership: only the account's own person and that person's own stay, whatever ids are sent.
    person = Person.objects.select_for_update(of=("self",)).get(pk=actor.person_id)
    stay = Stay.objects.select_related("community", "house").filter(pk=stay_id, person=person).first()
    entry = ApplicationEntry(person.pk, stay_id, permit_kind, condition, materials or {}, Application.Channel.PORTAL)
    problems: list[FieldProblem] = []
    item = _prepare(entry, person, stay, policies_in_force(current_day()), {}, problems)
    if problems:
        raise InvalidInput(problems)
    _guard_one_at_a_time({person.pk: Application.Kind.NEW})
    return _create(actor=actor, prepared=[item], source=source)[0]


def _prepare(entry, person, stay, in_force, held, problems) -> _Prepared | None:
    if entry.kind not in (Application.Kind.NEW, Application.Kind.UPGRADE):
        problems.append(FieldProblem("kind", "permit.application_kind", _("Choose a new permit or an upgrade")))
    if entry.channel not in Application.Channel.values:
        problems.append(FieldProblem("channel", "permit.channel", _("Choose the station or the portal")))
    if stay is None or stay.person_id != person.pk:
        problems.append(
            FieldProblem("stay_id", "permit.stay_in_scope", _("Choose the applicant's stay inside your area"))
        )
        return None
    if stay.departed_on is not None:
        problems.append(
            FieldProblem("stay_id", "permit.stay_open", _("The applicant has left this residence; choose an open stay"))
        )
        return None
    row = choose_policy(in_force, stay.community_id)
    if row is None:
        raise no_policy()
    policy = policy_from(row)
    replaces = None
    if entry.kind == Application.Kind.UPGRADE:
        replaces = held.get(person.pk)
        target = policy.upgrade_of(replaces.kind) if replaces else None
        if target is None or target.code != entry.permit_kind:
            problems.append(
                FieldProblem(
                    "permit_kind",
                    "permit.not_upgradable",
                    _("An upgrade is for the holder of a permit that this kind upgrades"),
                )
            )
    return _check(
        person=person,
        stay=stay,
        row=row,
        policy=policy,
        permit_kind=entry.permit_kind,
        condition=entry.condition,
        materials=entry.materials,
        channel=entry.channel,
        kind=entry.kind,
        replaces=replaces,
        problems=problems,
    )


def _check(*, person, stay, row, policy, permit_kind, condition, materials, channel, kind, replaces, problems):
    if condition not in policy.conditions:
        problems.append(
            FieldProblem("condition", "permit.condition", _("Choose lawful employment, residence or study"))
        )
    if permit_kind not in [k.code for k in policy.kinds]:
        problems.append(
            FieldProblem("permit_kind", "permit.kind", _("This kind of permit is not issued under the area's policy"))
        )
    brought = _materials(policy, materials, problems)
    return _Prepared(person, stay, row, policy, permit_kind, condition, brought, channel, kind, replaces)


def _receive(
    *, actor, person, stay, row, policy, permit_kind, condition, materials, channel, kind, replaces, source, problems
) -> Application:
    """One application already checked for scope and policy (an upgrade): the same rules, then receipt."""
    item = _check(
        person=person,
        stay=stay,
        row=row,
        policy=policy,
        permit_kind=permit_kind,
        condition=condition,
        materials=materials,
        channel=channel,
        kind=kind,
        replaces=replaces,
        problems=problems,
    )
    if problems:
        raise InvalidInput(problems)
    _guard_one_at_a_time({person.pk: kind})
    return _create(actor=actor, prepared=[item], source=source)[0]


def _create(*, actor, prepared: list[_Prepared], source: str) -> list[Application]:
    today = current_day()
    now = timezone.now()
    created, notes = [], []
    for item in prepared:
        missing = missing_materials(
            item.policy, condition=item.condition, kind=item.permit_kind, materials=item.brought
        )
        application = Application(
            kind=item.kind,
            person=item.person,
            stay=item.stay,
            community_id=item.stay.community_id,
            permit_kind=item.permit_kind,
            condition=item.condition,
            materials=item.brought,
            channel=item.channel,
            policy=item.row,
            received_at=now,
            received_by=who(actor),
            replaces=item.replaces,
        )
        if missing:
            application.status = Application.Status.INCOMPLETE
            application.notice_missing = [r.code for r in missing]
            application.notice_at = now
        else:
            application.status = Application.Status.ACCEPTED
            application.accepted_on = today
            application.due_on = decision_due(item.policy, accepted_on=today)
        created.append(application)
        notes.append(
            ("notice", "、".join(r.label for r in missing)) if missing else ("accepted", application.due_on.isoformat())
        )
    create_numbered(created, lambda a: f"A{a.community_id[:6]}{today.year}", 6)
    PermitEvent.objects.bulk_create(
        [
            PermitEvent(application=application, action=action, actor=who(actor), note=str(note)[:300])
            for application, then in zip(created, notes, strict=True)
            for action, note in (("received", application.kind), then)
        ]
    )
    audit_many(
        actor=actor,
        action="permit_application.receive",
        objs=created,
        source=source,
        changes_of=lambda a: {
            "number": a.number,
            "person": a.person_id,
            "stay": a.stay_id,
            "kind": a.kind,
            "permit_kind": a.permit_kind,
            "condition": a.condition,
            "materials": sorted(a.materials),
            "status": a.status,
            "missing": a.notice_missing,
            "due_on": a.due_on,
            "policy": f"{a.policy.code} {a.policy.version}",
            "replaces": a.replaces.number if a.replaces_id else None,
        },
    )
    return created


def application_for_update(actor, application_id: int) -> Application:
    """An application inside the actor's area, locked for the rest of the transaction; else NotFound."""
    found = (
        scoped(Application.objects.select_for_update(of=("self",)), actor)
        .select_related("policy", "stay")
        .filter(pk=application_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def _status_problem(application: Application, wanted: str, message) -> None:
    if application.status != wanted:
        raise InvalidInput([FieldProblem("application", f"permit.application_{wanted}", message)])


@transaction.atomic
def application_complete(*, actor, application_id: int, materials: dict, source: str = "web") -> Application:
    """The applicant brings what the notice listed; complete now, it is accepted and the deadline counts from today.

    Nothing is written while anything on the notice is still missing (the notice already named it all).
    """
    if not actor.can("permit.apply"):
        raise PermissionDenied()
    application = application_for_update(actor, application_id)
    _status_problem(
        application, Application.Status.INCOMPLETE, _("Only an application with missing materials is completed")
    )
    policy = policy_from(application.policy)
    problems: list[FieldProblem] = []
    brought = {**application.materials, **_materials(policy, materials, problems)}
    if problems:
        raise InvalidInput(problems)
    missing = missing_materials(
        policy, condition=application.condition, kind=application.permit_kind, materials=brought
    )
    if missing:
        raise InvalidInput(
            [
                FieldProblem(
                    "materials",
                    "permit.materials_missing",
                    _("Still missing: %(list)s") % {"list": "、".join(r.label for r in missing)},
                )
            ]
        )
    today = current_day()
    application.materials = brought
    application.status = Application.Status.ACCEPTED
    application.accepted_on = today
    application.due_on = decision_due(policy, accepted_on=today, extended=application.extended)
    application.save(update_fields=["materials", "status", "accepted_on", "due_on"])
    event(action="accepted", actor=actor, application=application, note=application.due_on.isoformat())
    audit_record(
        actor=actor,
        action="permit_application.complete",
        obj=application,
        division_code=application.community_id,
        source=source,
        changes={"materials": sorted(brought), "accepted_on": today, "due_on": application.due_on},
    )
    tell_portal_applicant(application)
    return application
