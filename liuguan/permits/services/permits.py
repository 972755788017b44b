"""A permit's life after approval: issue, print, hand over, endorse, suspend, restore, upgrade, revoke, replace.

Numbers: 17 digits, the issuing county's six-digit code, the year of issue and a seven-digit running number
within that county and year (510104 2025 0000017). A replacement gets a new number; the old one never
returns. Each permit carries a random nonce in its QR token: a replacement has a new one, so a QR code of
the lost card verifies as replaced, never as valid.
"""

import datetime as dt
import os
import secrets
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.scoping import scoped
from liuguan.registry.models import Stay

from ..models import Application, Endorsement, Permit, PermitEvent, PermitPolicy
from ..policy import (
    DAY,
    PermitState,
    Policy,
    Status,
    add_months,
    endorsement_allowed,
    permit_state,
)
from ..policy import policy_from as policy_of_row
from .applications import LIVE_PERMITS
from .common import (
    audit_many,
    create_numbered,
    current_day,
    event,
    issuer_names,
    who,
)

REFRESH_BATCH = 2000


def cycle_start(permit: Permit) -> dt.date:
    """The day the yearly endorsement cycle and the term count from: the issue date, or for a replacement
    the first card's (a lost card's replacement carries on its years, endorsements and term).
    """
    application = permit.application
    if application.kind == Application.Kind.REPLACEMENT and application.decision.get("cycle_from"):
        return dt.date.fromisoformat(application.decision["cycle_from"])
    return permit.issued_on


def state_of(
    permit: Permit, on: dt.date | None = None, *, policy: Policy | None = None, endorsed: list | None = None
) -> PermitState:
    """Where a permit stands on a day by the rules of the policy it was issued under (Art. 10)."""
    policy = policy or policy_of_row(permit.policy)
    if endorsed is None:
        endorsed = list(permit.endorsements.values_list("on", flat=True))
    return permit_state(
        policy, kind=permit.kind, issued_on=cycle_start(permit), endorsements=endorsed, on=on or current_day()
    )


def _permit_for_update(actor, permit_id: int) -> Permit:
    found = (
        scoped(Permit.objects.select_for_update(of=("self",)), actor)
        .select_related("policy", "application")
        .filter(pk=permit_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def _audit(actor, action: str, permit: Permit, source: str, **changes) -> None:
    audit_record(
        actor=actor,
        action=f"permit.{action}",
        obj=permit,
        division_code=permit.community_id,
        source=source,
        changes={"number": permit.number, **changes},
    )


def _address(stay: Stay) -> str:
    if stay.address:
        return stay.address[:200]
    if stay.house_id and stay.house.address:
        return stay.house.address[:200]
    return stay.community.name


def _valid_until(policy: Policy, kind: str, start: dt.date) -> dt.date | None:
    years = policy.kind(kind).valid_years
    return add_months(start, 12 * years) - DAY if years else None


def _new_permit(*, application: Application, stay: Stay, policy_row: PermitPolicy, kind: str, issuer: str, **fields):
    """An unsaved permit issued today (numbered when created)."""
    today = current_day()
    permit = Permit(
        person_id=application.person_id,
        application=application,
        community_id=stay.community_id,
        kind=kind,
        policy=policy_row,
        status=Permit.Status.ISSUED,
        issued_on=today,
        issuer=issuer[:100],
        address=_address(stay),
        token_nonce=secrets.token_urlsafe(12),
        **fields,
    )
    if "valid_until" not in fields:
        permit.valid_until = _valid_until(policy_of_row(policy_row), kind, today)
    if "counted_from" not in fields:
        permit.counted_from = today
    return permit


def _numbered(permits: list[Permit]) -> None:
    create_numbered(permits, lambda p: f"{p.community_id[:6]}{p.issued_on.year}", 7)


def _problem(field: str, rule: str, message) -> InvalidInput:
    return InvalidInput([FieldProblem(field, rule, message)])


def _refuse_all(problems: list[tuple[int, FieldProblem]], many: bool) -> None:
    if problems:
        raise InvalidInput(
            [FieldProblem(f"{i}.{p.field}" if many else p.field, p.rule, p.message) for i, p in problems]
        )


def _locked_permits(actor, permit_ids: list[int]) -> list[Permit]:
    found = (
        scoped(Permit.objects.select_for_update(of=("self",)), actor)
        .select_related("policy", "application")
        .in_bulk(permit_ids)
    )
    if len(found) < len(set(permit_ids)):
        raise NotFound()
    return [found[pk] for pk in permit_ids]


@transaction.atomic
def permit_issue(*, actor, application_id: int, source: str = "web") -> Permit:
    """Issue the permit an approved application grants: number, issuing authority, address, term; an upgrade's
    formal permit retires the temporary one it replaces.
    """
    return permits_issue(actor=actor, application_ids=[application_id], source=source)[0]


@transaction.atomic
def permits_issue(*, actor, application_ids: list[int], source: str = "web") -> list[Permit]:
    """Issue the permits of several approved applications at once (the bureau's daily batch)."""
    if not actor.can("permit.issue"):
        raise PermissionDenied()
    if not application_ids:
        return []
    found = (
        scoped(Application.objects.select_for_update(of=("self",)), actor)
        .select_related("policy", "stay", "stay__community", "stay__house")
        .in_bulk(application_ids)
    )
    if len(found) < len(set(application_ids)):
        raise NotFound()
    applications = [found[pk] for pk in application_ids]
    problems = [
        (i, FieldProblem("application", "permit.not_approved", _("Only an approved application is issued")))
        for i, a in enumerate(applications)
        if a.status != Application.Status.APPROVED
    ]
    _refuse_all(problems, len(applications) > 1)
    existing = Permit.objects.filter(application_id__in=application_ids).first()
    if existing is not None:
        raise Conflict(
            _("Permit %(number)s is already issued for this application") % {"number": existing.number},
            field="application",
            rule="permit.already_issued",
            existing_id=existing.pk,
        )
    upgraded = Permit.objects.select_for_update().in_bulk(
        [a.replaces_id for a in applications if a.kind == Application.Kind.UPGRADE and a.replaces_id]
    )
    problems = [
        (i, FieldProblem("application", "permit.upgrade_gone", _("The permit to upgrade is no longer in force")))
        for i, a in enumerate(applications)
        if a.replaces_id in upgraded and upgraded[a.replaces_id].status not in LIVE_PERMITS
    ]
    _refuse_all(problems, len(applications) > 1)
    issuers = issuer_names({a.stay.community_id for a in applications})
    permits = [
        _new_permit(
            application=a,
            stay=a.stay,
            policy_row=a.policy,
            kind=a.permit_kind,
            issuer=issuers[a.stay.community_id],
        )
        for a in applications
    ]
    _numbered(permits)
    retired = []
    for application, permit in zip(applications, permits, strict=True):
        old = upgraded.get(application.replaces_id) if application.kind == Application.Kind.UPGRADE else None
        permit.upgrades = old
        if old is not None:
            old.status = Permit.Status.UPGRADED
            old.replaced_by = permit
            retired.append(old)
    Permit.objects.bulk_update(retired, ["status", "replaced_by"])
    PermitEvent.objects.bulk_create(
        [
            PermitEvent(application=p.application, permit=p, action="issued", actor=who(actor), note=p.number)
            for p in permits
        ]
        + [PermitEvent(permit=old, action="upgraded", actor=who(actor), note=old.replaced_by.number) for old in retired]
    )
    audit_many(
        actor=actor,
        action="permit.issue",
        objs=permits,
        source=source,
        changes_of=lambda p: {
            "number": p.number,
            "application": p.application.number,
            "kind": p.kind,
            "issued_on": p.issued_on,
            "valid_until": p.valid_until,
            "issuer": p.issuer,
            "upgrades": p.upgrades.number if p.upgrades else None,
        },
    )
    if retired:
        audit_many(
            actor=actor,
            action="permit.upgraded",
            objs=retired,
            source=source,
            changes_of=lambda p: {"number": p.number, "replaced_by": p.replaced_by.number},
        )
    return permits


@transaction.atomic
def permit_print(*, actor, permit_id: int, source: str = "web") -> Permit:
    """Record a print of the card; a reprint is allowed (a jammed printer) and recorded as one."""
    return permits_print(actor=actor, permit_ids=[permit_id], source=source)[0]


@transaction.atomic
def permits_print(*, actor, permit_ids: list[int], source: str = "web") -> list[Permit]:
    """Record a print run of several cards."""
    if not actor.can("permit.issue"):
        raise PermissionDenied()
    if not permit_ids:
        return []
    permits = _locked_permits(actor, permit_ids)
    problems = [
        (i, FieldProblem("permit", "permit.not_printable", _("Only a permit in force is printed")))
        for i, p in enumerate(permits)
        if p.status not in LIVE_PERMITS
    ]
    _refuse_all(problems, len(permits) > 1)
    now = timezone.now()
    for permit in permits:
        permit.reprint = permit.printed_at is not None
        permit.printed_at = now
    Permit.objects.bulk_update(permits, ["printed_at"])
    PermitEvent.objects.bulk_create(
        [PermitEvent(permit=p, action="reprinted" if p.reprint else "printed", actor=who(actor)) for p in permits]
    )
    audit_many(
        actor=actor,
        action="permit.print",
        objs=permits,
        source=source,
        changes_of=lambda p: {"number": p.number, "reprint": p.reprint},
    )
    return permits


@transaction.atomic
def permit_handover(*, actor, permit_id: int, source: str = "web") -> Permit:
    """Hand the printed card to its holder: from now on it is in force (or suspended, if its year has lapsed)."""
    return permits_handover(actor=actor, permit_ids=[permit_id], source=source)[0]


@transaction.atomic
def permits_handover(*, actor, permit_ids: list[int], source: str = "web") -> list[Permit]:
    """Record the handover of several printed cards (a collective application's cards given to the employer)."""
    if not actor.can("permit.issue"):
        raise PermissionDenied()
    if not permit_ids:
        return []
    permits = _locked_permits(actor, permit_ids)
    problems = []
    for i, permit in enumerate(permits):
        if permit.status != Permit.Status.ISSUED:
            message = _("Only an issued permit not yet handed over is handed over")
            problems.append((i, FieldProblem("permit", "permit.not_issued", message)))
        elif permit.printed_at is None:
            problems.append(
                (i, FieldProblem("permit", "permit.not_printed", _("Print the permit before handing it over")))
            )
    _refuse_all(problems, len(permits) > 1)
    endorsed = _endorsement_days([p.pk for p in permits])
    now, today = timezone.now(), current_day()
    for permit in permits:
        state = state_of(permit, today, endorsed=endorsed[permit.pk])
        permit.status = state.status.value
        permit.counted_from = state.counted_from
        permit.handed_over_at = now
    Permit.objects.bulk_update(permits, ["status", "counted_from", "handed_over_at"])
    PermitEvent.objects.bulk_create([PermitEvent(permit=p, action="handed_over", actor=who(actor)) for p in permits])
    audit_many(
        actor=actor,
        action="permit.handover",
        objs=permits,
        source=source,
        changes_of=lambda p: {"number": p.number, "status": p.status},
    )
    return permits


@transaction.atomic
def permit_endorse(*, actor, permit_id: int, on: dt.date | None = None, source: str = "web") -> Endorsement:
    """Endorse for the coming year (签注): in the month before each full year, or late once suspended; a late
    endorsement restores the permit and its years count on from that day (Art. 10).
    """
    if not actor.can("permit.endorse"):
        raise PermissionDenied()
    permit = _permit_for_update(actor, permit_id)
    today = current_day()
    on = on or today
    if on > today:
        raise _problem("on", "permit.endorse_future", _("An endorsement is not dated in the future"))
    if permit.status not in (Permit.Status.VALID, Permit.Status.SUSPENDED):
        raise _problem("permit", "permit.not_endorsable", _("Only a permit handed over and in force is endorsed"))
    if permit.endorsements.filter(on__gte=on).exists():
        raise _problem("on", "permit.endorse_order", _("The permit has an endorsement on or after this day"))
    policy = policy_of_row(permit.policy)
    state = state_of(permit, on, policy=policy)
    if not endorsement_allowed(policy, state=state, on=on):
        if state.window_opens is None:
            raise _problem("permit", "permit.not_endorsed_kind", _("This kind of permit is not endorsed"))
        raise _problem(
            "on",
            "permit.endorse_window",
            _("Endorsement is taken from %(opens)s to %(closes)s")
            % {"opens": state.window_opens.isoformat(), "closes": state.window_closes.isoformat()},
        )
    late = state.status == Status.SUSPENDED
    endorsement = Endorsement.objects.create(permit=permit, on=on, late=late, by=who(actor))
    now = state_of(permit, today, policy=policy)
    before = permit.status
    permit.status = now.status.value
    permit.counted_from = now.counted_from
    permit.save(update_fields=["status", "counted_from"])
    event(
        action="restored" if late else "endorsed",
        actor=actor,
        permit=permit,
        note=on.isoformat(),
    )
    _audit(
        actor,
        "endorse",
        permit,
        source,
        on=on,
        late=late,
        status=[before, permit.status],
        counted_from=permit.counted_from,
    )
    return endorsement


def permits_refresh(on: dt.date | None = None, *, actor=None, batch_size: int = REFRESH_BATCH) -> dict[str, int]:
    """Bring every valid or suspended permit to its state on a day: suspended once an endorsement is overdue,
    expired past its term. Batches of `batch_size`, each in its own transaction; running it twice changes nothing.
    """
    on = on or current_day()
    actor = actor or SYSTEM
    policies = {row.pk: policy_of_row(row) for row in PermitPolicy.objects.all()}
    counts = {"checked": 0, "suspended": 0, "expired": 0, "restored": 0}
    last = 0
    while True:
        batch = list(
            Permit.objects.filter(status__in=(Permit.Status.VALID, Permit.Status.SUSPENDED), pk__gt=last)
            .select_related("application")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            break
        last = batch[-1].pk
        counts["checked"] += len(batch)
        endorsed = _endorsement_days([p.pk for p in batch])
        stale = [
            p.pk for p in batch if _differs(p, state_of(p, on, policy=policies[p.policy_id], endorsed=endorsed[p.pk]))
        ]
        if stale:
            _refresh_rows(stale, on, policies, counts, actor)
    return counts


def _endorsement_days(permit_ids: list[int]) -> dict[int, list[dt.date]]:
    days = defaultdict(list)
    for permit_id, day in Endorsement.objects.filter(permit_id__in=permit_ids).values_list("permit_id", "on"):
        days[permit_id].append(day)
    return days


def _differs(permit: Permit, state: PermitState) -> bool:
    return permit.status != state.status.value or permit.counted_from != state.counted_from


def _actions_of(events: list[PermitEvent], permits: list[Permit]) -> dict[str, int]:
    """How many of these permits each action changed (suspended, expired, restored)."""
    ids = {p.pk for p in permits}
    counts: dict[str, int] = defaultdict(int)
    for permit_event in events:
        if permit_event.permit.pk in ids:
            counts[permit_event.action] += 1
    return dict(counts)


@transaction.atomic
def _refresh_rows(ids: list[int], on: dt.date, policies: dict, counts: dict, actor) -> None:
    """Lock the permits found stale and look again: an endorsement taken meanwhile is not overwritten."""
    rows = list(
        Permit.objects.select_for_update()
        .filter(pk__in=ids, status__in=(Permit.Status.VALID, Permit.Status.SUSPENDED))
        .order_by("pk")
    )
    endorsed = _endorsement_days(ids)
    applications = {a.pk: a for a in Application.objects.filter(pk__in=[p.application_id for p in rows])}
    changed, events, batch_counts = [], [], defaultdict(int)
    for permit in rows:
        permit.application = applications[permit.application_id]
        state = state_of(permit, on, policy=policies[permit.policy_id], endorsed=endorsed[permit.pk])
        if not _differs(permit, state):
            continue
        action = {Status.SUSPENDED: "suspended", Status.EXPIRED: "expired", Status.VALID: "restored"}[state.status]
        note = {
            Status.SUSPENDED: state.suspended_from.isoformat() if state.suspended_from else "",
            Status.EXPIRED: state.expires_on.isoformat() if state.expires_on else "",
        }.get(state.status, "")
        if permit.status != state.status.value:
            batch_counts[action] += 1
            events.append(PermitEvent(permit=permit, action=action, actor=None, note=note))
        permit.status = state.status.value
        permit.counted_from = state.counted_from
        changed.append(permit)
    if not changed:
        return
    Permit.objects.bulk_update(changed, ["status", "counted_from"])
    PermitEvent.objects.bulk_create(events)
    for key, value in batch_counts.items():
        counts[key] += value
    # One event per county, naming the smallest area that holds its changed permits: the dashboards' cells
    # recompute just that area (a single province-wide event would make them recount the whole province).
    by_county: dict[str, list[Permit]] = defaultdict(list)
    for permit in changed:
        by_county[permit.community_id[:6]].append(permit)
    for county, permits in sorted(by_county.items()):
        audit_record(
            actor=actor,
            action="permit.refresh",
            object_type="permits.permit",
            division_code=os.path.commonprefix([p.community_id for p in permits]) or county,
            source="job",
            changes={"on": on, **_actions_of(events, permits), "permits": [p.number for p in permits][:200]},
        )
