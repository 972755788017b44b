"""Responsibility agreements (治安管理责任书): signing, renewal, termination and renewal reminders.

An agreement binds one party (a rental house's landlord, a hotel or an employer) for a term taken from the
template of its kind. Its state is derived from the term and the day asked about, never stored, except for
termination, which is an act and is recorded.
"""

import calendar
import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped
from liuguan.registry.codes import HouseKind
from liuguan.registry.models import Employer, House, Lodging

from ..codes import AgreementKind, AgreementState
from ..models import AgreementReminder, AgreementTemplate, ResponsibilityAgreement

EXPIRING_DAYS = 30
PARTY_FIELD = {AgreementKind.LANDLORD: "house", AgreementKind.HOTEL: "lodging", AgreementKind.EMPLOYER: "employer"}
NUMBER_LETTER = {AgreementKind.LANDLORD: "L", AgreementKind.HOTEL: "H", AgreementKind.EMPLOYER: "E"}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def term_end(starts_on: dt.date, term_months: int) -> dt.date:
    """A term of N months starting on a day ends the day before the same day N months later."""
    return add_months(starts_on, term_months) - dt.timedelta(days=1)


def agreement_state(agreement: ResponsibilityAgreement, today: dt.date | None = None) -> AgreementState:
    """Terminated once its termination date is reached; otherwise by its term: not yet in force, valid,
    expiring (ends within 30 days, today included), or expired (its last day has passed).
    """
    today = today or china_today()
    if agreement.terminated_on is not None and agreement.terminated_on <= today:
        return AgreementState.TERMINATED
    if today < agreement.starts_on:
        return AgreementState.NOT_STARTED
    if today > agreement.ends_on:
        return AgreementState.EXPIRED
    if (agreement.ends_on - today).days < EXPIRING_DAYS:
        return AgreementState.EXPIRING
    return AgreementState.VALID


def in_force_q(today: dt.date, prefix: str = "") -> Q:
    """Agreements in force on `today` (valid or expiring): inside their term and not terminated by then.

    `prefix` names the relation when the condition is applied from another model ("agreements__").
    """
    return Q(**{f"{prefix}starts_on__lte": today, f"{prefix}ends_on__gte": today}) & (
        Q(**{f"{prefix}terminated_on__isnull": True}) | Q(**{f"{prefix}terminated_on__gt": today})
    )


def state_q(state: str, today: dt.date) -> Q:
    """The database condition of one derived state, matching `agreement_state` exactly."""
    live = Q(terminated_on__isnull=True) | Q(terminated_on__gt=today)
    soon = today + dt.timedelta(days=EXPIRING_DAYS)
    conditions = {
        AgreementState.TERMINATED: Q(terminated_on__lte=today),
        AgreementState.NOT_STARTED: live & Q(starts_on__gt=today),
        AgreementState.EXPIRED: live & Q(ends_on__lt=today),
        AgreementState.EXPIRING: live & Q(starts_on__lte=today, ends_on__gte=today, ends_on__lt=soon),
        AgreementState.VALID: live & Q(starts_on__lte=today, ends_on__gte=soon),
    }
    return conditions[AgreementState(state)]


def agreement_in_force(
    *, house_id: int | None = None, lodging_id: int | None = None, employer_id: int | None = None, on: dt.date
) -> ResponsibilityAgreement | None:
    """The agreement binding this house, hotel or employer on a day (the latest signed, if terms overlap)."""
    party = {"house_id": house_id} if house_id else {"lodging_id": lodging_id} if lodging_id else None
    if party is None and employer_id:
        party = {"employer_id": employer_id}
    if party is None:
        return None
    return (
        ResponsibilityAgreement.objects.filter(in_force_q(on), **party)
        .order_by("-starts_on", "-signed_on", "-id")
        .first()
    )


def later_agreement_exists() -> Exists:
    """An agreement of the same party that starts after this one: a renewal or a fresh signature."""
    later = ResponsibilityAgreement.objects.filter(kind=OuterRef("kind"), starts_on__gt=OuterRef("starts_on")).filter(
        Q(house__isnull=False, house=OuterRef("house"))
        | Q(lodging__isnull=False, lodging=OuterRef("lodging"))
        | Q(employer__isnull=False, employer=OuterRef("employer"))
    )
    return Exists(later)


def _party(actor, kind: str, party_id: int | None, problems: list):
    """The house, hotel or employer an agreement of `kind` binds, inside the actor's jurisdiction."""
    field = PARTY_FIELD[kind]
    model = {"house": House, "lodging": Lodging, "employer": Employer}[field]
    if not party_id:
        problems.append(FieldProblem(f"{field}_id", "agreement.party_required", _("Choose who signs the agreement")))
        return None
    party = scoped(model.objects.all(), actor).filter(pk=party_id).first()
    if party is None:
        problems.append(
            FieldProblem(f"{field}_id", "agreement.party_in_scope", _("Choose a party registered inside your area"))
        )
        return None
    if field == "house" and party.kind != HouseKind.RENTAL and not party.is_rented:
        problems.append(
            FieldProblem("house_id", "agreement.house_rented", _("Landlord agreements are signed for rental houses"))
        )
        return None
    return party


def _party_name(kind: str, party) -> str:
    if kind == AgreementKind.LANDLORD:
        return party.landlord_label or (party.landlord_org.name if party.landlord_org_id else "") or party.address
    return party.name


def _template(kind: str, template_id: int | None, problems: list) -> AgreementTemplate | None:
    qs = AgreementTemplate.objects.filter(kind=kind)
    template = qs.filter(pk=template_id).first() if template_id else qs.filter(active=True).order_by("-version").first()
    if template is None:
        problems.append(
            FieldProblem("template_id", "agreement.template", _("No agreement text is in use for this kind of party"))
        )
    return template


def _number(kind: str, community_code: str, year: int) -> str:
    """Readable and unique: kind letter, county code, year and a running number (L-510104-2026-00017)."""
    stem = f"{NUMBER_LETTER[kind]}-{community_code[:6]}-{year}-"
    last = (
        ResponsibilityAgreement.objects.filter(number__startswith=stem)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{stem}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:05d}"


def _save_numbered(agreement: ResponsibilityAgreement) -> None:
    """Two officers of one county signing at the same moment get consecutive numbers, never the same one."""
    for _attempt in range(5):
        agreement.number = _number(agreement.kind, agreement.community_id, agreement.signed_on.year)
        try:
            with transaction.atomic():
                agreement.save(force_insert=True)
            return
        except IntegrityError:
            agreement.pk = None
    raise Conflict(_("Could not give the agreement a number; try again"), field="number", rule="agreement.number")


def _overlapping(kind: str, party, starts_on: dt.date, ends_on: dt.date):
    field = PARTY_FIELD[kind]
    return (
        ResponsibilityAgreement.objects.filter(**{field: party}, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=starts_on))
        .first()
    )


@transaction.atomic
def agreement_sign(
    *,
    actor,
    kind: str,
    signatory: str,
    signed_on: dt.date,
    starts_on: dt.date | None = None,
    house_id: int | None = None,
    lodging_id: int | None = None,
    employer_id: int | None = None,
    template_id: int | None = None,
    source: str = "web",
) -> ResponsibilityAgreement:
    """A station or street officer, or police, signs an agreement with a party inside their area; it runs for the
    template's term from its start (the signing day unless later), and one party holds one agreement at a time.
    """
    if not actor.can("agreement.sign"):
        raise PermissionDenied()
    problems: list[FieldProblem] = []
    if kind not in AgreementKind.values:
        raise InvalidInput([FieldProblem("kind", "agreement.kind", _("Choose landlord, hotel or employer"))])
    kind = AgreementKind(kind)
    given = {"house": house_id, "lodging": lodging_id, "employer": employer_id}
    others = [f"{field}_id" for field, value in given.items() if value and field != PARTY_FIELD[kind]]
    if others:
        problems.append(
            FieldProblem(others[0], "agreement.one_party", _("An agreement of this kind binds only its own party"))
        )
    party = _party(actor, kind, given[PARTY_FIELD[kind]], problems)
    template = _template(kind, template_id, problems)
    signatory = " ".join((signatory or "").split())[:60]
    if not signatory:
        problems.append(FieldProblem("signatory", "agreement.signatory_required", _("Name who signed for the party")))
    today = china_today()
    if signed_on is None:
        problems.append(FieldProblem("signed_on", "agreement.signed_on_required", _("Give the signing date")))
    elif signed_on > today:
        problems.append(
            FieldProblem("signed_on", "agreement.signed_not_future", _("The signing date is in the future"))
        )
    starts_on = starts_on or signed_on
    if signed_on and starts_on < signed_on:
        problems.append(
            FieldProblem(
                "starts_on", "agreement.starts_after_signing", _("An agreement cannot start before it is signed")
            )
        )
    if problems:
        raise InvalidInput(problems)
    ends_on = term_end(starts_on, template.term_months)
    clash = _overlapping(kind, party, starts_on, ends_on)
    if clash is not None:
        raise Conflict(
            _("This party already holds agreement %(number)s for these dates; renew it instead")
            % {"number": clash.number},
            field="starts_on",
            rule="agreement.one_at_a_time",
            existing_id=clash.pk,
        )
    agreement = _create(
        actor=actor,
        kind=kind,
        party=party,
        template=template,
        signatory=signatory,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        renews=None,
        source=source,
    )
    return agreement


def _create(*, actor, kind, party, template, signatory, signed_on, starts_on, ends_on, renews, source):
    agreement = ResponsibilityAgreement(
        kind=kind,
        template=template,
        community_id=party.community_id,
        party_name=_party_name(kind, party)[:150],
        signatory=signatory,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        officer=actor if getattr(actor, "pk", None) else None,
        renews=renews,
        **{PARTY_FIELD[kind]: party},
    )
    _save_numbered(agreement)
    audit_record(
        actor=actor,
        action="agreement.renew" if renews else "agreement.sign",
        obj=agreement,
        division_code=agreement.community_id,
        source=source,
        changes={
            "number": agreement.number,
            "kind": kind,
            f"{PARTY_FIELD[kind]}": party.pk,
            "template": f"{template.kind} v{template.version}",
            "signatory": signatory,
            "signed_on": signed_on,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "renews": renews.number if renews else None,
        },
    )
    return agreement


def _scoped_for_update(actor, agreement_id: int) -> ResponsibilityAgreement:
    agreement = (
        scoped(ResponsibilityAgreement.objects.select_for_update(), actor)
        .filter(pk=agreement_id)
        .select_related("template")
        .first()
    )
    if agreement is None:
        raise NotFound()
    return agreement


def _close_reminder(agreement: ResponsibilityAgreement) -> None:
    AgreementReminder.objects.filter(agreement=agreement, done_at__isnull=True).update(done_at=timezone.now())


@transaction.atomic
def agreement_renew(
    *,
    actor,
    agreement_id: int,
    signatory: str,
    signed_on: dt.date,
    template_id: int | None = None,
    source: str = "web",
) -> ResponsibilityAgreement:
    """A renewal is a new agreement naming the old one, starting the day after the old one ends (or on the
    signing day, when the old one had already lapsed), under the kind's current text unless another is chosen.
    """
    if not actor.can("agreement.sign"):
        raise PermissionDenied()
    old = _scoped_for_update(actor, agreement_id)
    problems: list[FieldProblem] = []
    if old.terminated_on is not None:
        problems.append(FieldProblem("agreement", "agreement.terminated", _("A terminated agreement is not renewed")))
    if old.renewals.exists():
        problems.append(FieldProblem("agreement", "agreement.already_renewed", _("This agreement is already renewed")))
    template = _template(old.kind, template_id, problems)
    signatory = " ".join((signatory or "").split())[:60]
    if not signatory:
        problems.append(FieldProblem("signatory", "agreement.signatory_required", _("Name who signed for the party")))
    if signed_on is None or signed_on > china_today():
        problems.append(
            FieldProblem("signed_on", "agreement.signed_not_future", _("Give a signing date not in the future"))
        )
    if problems:
        raise InvalidInput(problems)
    party = getattr(old, PARTY_FIELD[old.kind])
    starts_on = max(old.ends_on + dt.timedelta(days=1), signed_on)
    ends_on = term_end(starts_on, template.term_months)
    clash = _overlapping(old.kind, party, starts_on, ends_on)
    if clash is not None:
        raise Conflict(
            _("This party already holds agreement %(number)s for these dates") % {"number": clash.number},
            field="agreement",
            rule="agreement.one_at_a_time",
            existing_id=clash.pk,
        )
    renewal = _create(
        actor=actor,
        kind=old.kind,
        party=party,
        template=template,
        signatory=signatory,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        renews=old,
        source=source,
    )
    _close_reminder(old)
    return renewal


@transaction.atomic
def agreement_terminate(
    *, actor, agreement_id: int, terminated_on: dt.date, reason: str, source: str = "web"
) -> ResponsibilityAgreement:
    """An agreement ends early on a stated day for a stated reason (the house is no longer let, the hotel closed)."""
    if not actor.can("agreement.sign"):
        raise PermissionDenied()
    agreement = _scoped_for_update(actor, agreement_id)
    problems: list[FieldProblem] = []
    if agreement.terminated_on is not None:
        problems.append(FieldProblem("agreement", "agreement.terminated", _("This agreement is already terminated")))
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        problems.append(FieldProblem("reason", "agreement.reason_required", _("Give the reason for ending it")))
    if terminated_on is None or terminated_on > agreement.ends_on:
        problems.append(
            FieldProblem("terminated_on", "agreement.terminate_in_term", _("Choose a day before the agreement ends"))
        )
    elif terminated_on < agreement.signed_on:
        problems.append(
            FieldProblem(
                "terminated_on", "agreement.terminate_in_term", _("Choose a day after the agreement was signed")
            )
        )
    if problems:
        raise InvalidInput(problems)
    agreement.terminated_on = terminated_on
    agreement.save(update_fields=["terminated_on"])
    _close_reminder(agreement)
    audit_record(
        actor=actor,
        action="agreement.terminate",
        obj=agreement,
        division_code=agreement.community_id,
        source=source,
        changes={"terminated_on": terminated_on, "reason": reason},
    )
    return agreement


@transaction.atomic
def agreement_reminders_raise(*, today: dt.date | None = None, actor=None) -> dict[str, int]:
    """Raise one reminder for each agreement ending within 30 days that is neither renewed nor terminated, and
    close the reminders of agreements renewed, terminated or ended since. Running it twice changes nothing.
    """
    today = today or china_today()
    due = (
        ResponsibilityAgreement.objects.filter(
            ends_on__gte=today, ends_on__lt=today + dt.timedelta(days=EXPIRING_DAYS), terminated_on__isnull=True
        )
        .exclude(later_agreement_exists())
        .exclude(Exists(AgreementReminder.objects.filter(agreement=OuterRef("pk"))))
        .values_list("pk", "ends_on")
    )
    made = AgreementReminder.objects.bulk_create(
        [AgreementReminder(agreement_id=pk, due_on=ends_on) for pk, ends_on in due], ignore_conflicts=True
    )
    settled = ResponsibilityAgreement.objects.filter(
        Q(terminated_on__isnull=False) | Q(ends_on__lt=today) | Q(later_agreement_exists())
    )
    closed = AgreementReminder.objects.filter(done_at__isnull=True, agreement__in=settled).update(
        done_at=timezone.now()
    )
    counts = {"raised": len(made), "closed": closed}
    if made or closed:
        audit_record(
            actor=actor or SYSTEM,
            action="agreement.reminders",
            object_type="compliance.agreementreminder",
            source="job",
            changes={**counts, "today": today},
        )
    return counts
