"""Changes to a permit after issue: upgrade from temporary to formal, revocation, replacement of a lost card."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.errors import FieldProblem, InvalidInput, PermissionDenied
from liuguan.core.scoping import scoped
from liuguan.registry.models import Person, Stay

from ..models import Application, Endorsement, Permit
from ..policy import Reason, add_months, eligibility
from .applications import LIVE_PERMITS, _receive, reason_text, residence_since
from .common import current_day, event, issuer_name, require_text, save_numbered, who
from .permits import _audit, _new_permit, _numbered, _permit_for_update, _problem, cycle_start
from .policies import policy_required


@transaction.atomic
def permit_upgrade(*, actor, permit_id: int, materials: dict | None = None, source: str = "web") -> Application:
    """A temporary permit's holder who now qualifies for the formal kind applies to upgrade (Chengdu: after a
    year); the application is checked and decided like any other, with the materials already on file.
    """
    if not actor.can("permit.apply"):
        raise PermissionDenied()
    permit = _permit_for_update(actor, permit_id)
    if permit.status != Permit.Status.VALID:
        raise _problem("permit", "permit.not_upgradable", _("Only a permit in force is upgraded"))
    stay = (
        scoped(Stay.objects.select_related("community", "house"), actor)
        .filter(person_id=permit.person_id, departed_on__isnull=True)
        .order_by("-arrived_on", "-id")
        .first()
    )
    if stay is None:
        raise _problem("stay_id", "permit.stay_in_scope", _("The holder has no open stay inside your area"))
    today = current_day()
    row, policy = policy_required(stay.community_id, today)
    target = policy.upgrade_of(permit.kind)
    if target is None:
        raise _problem("permit", "permit.not_upgradable", _("This kind of permit has nothing to upgrade to"))
    original = permit.application
    since = residence_since(stay)
    found = eligibility(policy, residence_since=since, on=today, conditions={original.condition})
    if found.kind != target.code:
        starts = add_months(since, target.min_residence_months)
        reasons = list(found.reasons) or ([Reason.RESIDENCE_TOO_SHORT] if today < starts else [])
        raise InvalidInput(
            [FieldProblem("permit", f"permit.{r}", reason_text(r, starts)) for r in reasons]
            or [FieldProblem("permit", "permit.not_eligible", _("The holder does not yet qualify for the upgrade"))]
        )
    person = Person.objects.select_for_update().get(pk=permit.person_id)
    return _receive(
        actor=actor,
        person=person,
        stay=stay,
        row=row,
        policy=policy,
        permit_kind=target.code,
        condition=original.condition,
        materials={**original.materials, **(materials or {})},
        channel=Application.Channel.STATION,
        kind=Application.Kind.UPGRADE,
        replaces=permit,
        source=source,
        problems=[],
    )


@transaction.atomic
def permit_revoke(*, actor, permit_id: int, reason: str, source: str = "web") -> Permit:
    """Revoke a permit (obtained by fraud, or the holder no longer resides): it verifies as revoked at once."""
    if not actor.can("permit.revoke"):
        raise PermissionDenied()
    permit = _permit_for_update(actor, permit_id)
    reason = require_text(reason, field="reason", rule="permit.reason_required", message=_("Give the reason"))
    if permit.status not in LIVE_PERMITS:
        raise _problem("permit", "permit.not_revocable", _("Only a permit in force is revoked"))
    before = permit.status
    permit.status = Permit.Status.REVOKED
    permit.revoked_at = timezone.now()
    permit.revoked_reason = reason
    permit.save(update_fields=["status", "revoked_at", "revoked_reason"])
    event(action="revoked", actor=actor, permit=permit, note=reason)
    _audit(actor, "revoke", permit, source, status=[before, permit.status], reason=reason)
    return permit


@transaction.atomic
def permit_replace(*, actor, permit_id: int, reason: str, source: str = "web") -> Permit:
    """Replace a lost or damaged card (Art. 11): a new number and a new QR nonce, the same kind, term, years and
    endorsements; the old card is marked replaced, so its QR code no longer verifies as valid.
    """
    if not actor.can("permit.issue"):
        raise PermissionDenied()
    old = _permit_for_update(actor, permit_id)
    reason = require_text(
        reason, field="reason", rule="permit.reason_required", message=_("Say whether the card was lost or damaged")
    )
    if old.status not in LIVE_PERMITS:
        raise _problem("permit", "permit.not_replaceable", _("Only a permit in force is replaced"))
    stay = (
        scoped(Stay.objects.select_related("community", "house"), actor)
        .filter(person_id=old.person_id, departed_on__isnull=True)
        .order_by("-arrived_on", "-id")
        .first()
    )
    if stay is None:
        raise _problem("stay_id", "permit.stay_in_scope", _("The holder has no open stay inside your area"))
    original = old.application
    today = current_day()
    application = Application(
        kind=Application.Kind.REPLACEMENT,
        person_id=old.person_id,
        stay=stay,
        community_id=stay.community_id,
        permit_kind=old.kind,
        condition=original.condition,
        materials={},
        status=Application.Status.APPROVED,
        policy=old.policy,
        received_by=who(actor),
        accepted_on=today,
        due_on=today,
        decided_at=timezone.now(),
        decided_by=who(actor),
        reasons=reason,
        decision={
            "kind": old.kind,
            "replacement": True,
            "replaces": old.number,
            "cycle_from": cycle_start(old).isoformat(),
            "policy": old.policy.code,
            "version": old.policy.version,
            "on": today.isoformat(),
        },
        replaces=old,
    )
    save_numbered(application, f"A{stay.community_id[:6]}{today.year}", 6)
    permit = _new_permit(
        application=application,
        stay=stay,
        policy_row=old.policy,
        kind=old.kind,
        issuer=issuer_name(stay.community_id),
        valid_until=old.valid_until,
        counted_from=old.counted_from,
    )
    _numbered([permit])
    Endorsement.objects.bulk_create(
        [Endorsement(permit=permit, on=e.on, late=e.late, by=e.by, at=e.at) for e in old.endorsements.all()]
    )
    old.status = Permit.Status.REPLACED
    old.replaced_by = permit
    old.save(update_fields=["status", "replaced_by"])
    event(action="replaced", actor=actor, application=application, permit=old, note=f"{permit.number}: {reason}")
    event(action="issued", actor=actor, application=application, permit=permit, note=permit.number)
    _audit(actor, "replace", old, source, replaced_by=permit.number, reason=reason)
    _audit(actor, "issue", permit, source, application=application.number, replaces=old.number, kind=permit.kind)
    return permit
