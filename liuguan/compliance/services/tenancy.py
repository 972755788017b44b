"""Tenancy filing (租赁合同登记备案): a rental contract filed with its house, term, rooms, rent and tenants, and
its end, which closes the tenants' stays at the house unless they live on elsewhere.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped
from liuguan.geo.models import Division
from liuguan.registry.codes import SourceChannel
from liuguan.registry.models import House, Person, Stay
from liuguan.registry.services import PersonInput, stay_update
from liuguan.registry.services.stays import _create_stay

from ..classification import tiers_recompute
from ..codes import DutyChannel, ReportKind, TenancyStatus
from ..models import TenancyFiling, TenancyTenant
from ..selectors import filing_get, own_houses, own_people
from .reports import (
    ForeignDocInput,
    ReportInput,
    _foreign_upsert,
    _person_resolve,
    duty_report,
    place_values,
    report_check,
    stay_close,
)

NUMBER_PREFIX = "ZL"


@dataclass
class TenantInput:
    """A tenant named in a filing: someone on the register (`person_id`) or a new person's document and name."""

    person_id: int | None = None
    person: PersonInput | None = None
    arrived_on: dt.date | None = None
    reason: str = ""
    foreign: ForeignDocInput | None = None


@dataclass
class TenancyEnd:
    """What ending a filing did: the stays it closed, and the tenants whose stays it left open, with why."""

    filing: TenancyFiling
    closed: list[Stay] = field(default_factory=list)
    kept: list[tuple[Person, str]] = field(default_factory=list)


def _prefixed(prefix: str, problems) -> list[FieldProblem]:
    return [FieldProblem(f"{prefix}.{p.field}", p.rule, p.message) for p in problems]


def filing_number_next(community_code: str, year: int) -> str:
    """ZL + community code + year + a four-digit sequence per community and year: ZL510104001001 2025 0007.

    The caller holds a lock on the community's row, so two filings in one community never draw the same
    number; the unique constraint on the number stays the last guard.
    """
    prefix = f"{NUMBER_PREFIX}{community_code}{year}"
    last = (
        TenancyFiling.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True)
    ).first()
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _house_for(actor, house_id):
    qs = own_houses(actor) if actor.is_duty_holder else scoped(House.objects.all(), actor)
    return qs.select_related("community", "landlord", "landlord_org").filter(pk=house_id).first() if house_id else None


def _rent(value, problems) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        rent = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        rent = None
    if rent is None or rent < 0 or rent >= Decimal("100000000"):
        problems.append(FieldProblem("monthly_rent", "tenancy.rent", _("The rent is an amount in yuan")))
        return None
    return rent


@transaction.atomic
def tenancy_file(
    *,
    actor,
    house_id: int,
    tenants: list,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    rooms: str = "",
    monthly_rent=None,
    source: str = "web",
) -> TenancyFiling:
    """File a rental contract: the house is marked rented and each tenant's stay at it is linked to the filing.

    Filed by an officer or collector for a house in their jurisdiction, or by the landlord for an own house.
    Tenants are people on the register (by id: in the officer's scope, or the landlord's own tenants) or new
    people by document; a document already on the register is that person, never a second one. A landlord's
    filing reports each tenant's arrival (so it creates a stay with source "landlord", or agrees or disagrees
    with the register, never overwriting it); an officer's filing creates the missing stays and moves an open
    stay in the community to this house (a change with history).
    """
    if not actor.can("tenancy.file"):
        raise PermissionDenied()
    problems: list[FieldProblem] = []
    house = _house_for(actor, house_id)
    if house is None:
        problems.append(FieldProblem("house_id", "tenancy.house_in_scope", _("Choose a house inside your reach")))
    if starts_on is None:
        problems.append(FieldProblem("starts_on", "tenancy.start_required", _("The start of the lease is required")))
    elif starts_on > china_today():
        problems.append(FieldProblem("starts_on", "tenancy.start_future", _("File the lease once it has started")))
    if ends_on is None:
        problems.append(FieldProblem("ends_on", "tenancy.end_required", _("The end of the lease is required")))
    elif starts_on and ends_on < starts_on:
        problems.append(FieldProblem("ends_on", "tenancy.term_order", _("The lease ends before it starts")))
    rooms = " ".join((rooms or "").split())
    if len(rooms) > 100:
        problems.append(FieldProblem("rooms", "tenancy.rooms_length", _("Rooms are longer than 100 characters")))
    rent = _rent(monthly_rent, problems)
    if not tenants:
        problems.append(FieldProblem("tenants", "tenancy.tenants_required", _("Name at least one tenant")))
    landlord = actor.is_duty_holder
    people_in_reach = own_people(actor) if landlord else scoped(Person.objects.all(), actor)
    checked = []
    seen = set()
    for i, raw in enumerate(tenants or []):
        tenant = TenantInput(person_id=raw) if isinstance(raw, int) else raw
        if isinstance(raw, PersonInput):
            tenant = TenantInput(person=raw)
        known = None
        if tenant.person_id:
            known = people_in_reach.filter(pk=tenant.person_id).first()
            if known is None:
                problems.append(FieldProblem(f"tenants.{i}.person_id", "tenancy.tenant_in_reach", _("Unknown tenant")))
                continue
        report = ReportInput(
            kind=ReportKind.ARRIVAL,
            occurred_on=tenant.arrived_on or starts_on,
            person_id=tenant.person_id,
            person=tenant.person,
            house_id=house_id,
            reason=tenant.reason,
            room=rooms[:40],
            foreign=tenant.foreign,
        )
        try:
            one = report_check(report, channel=DutyChannel.LANDLORD, known_person=known)
        except InvalidInput as exc:
            problems.extend(_prefixed(f"tenants.{i}", exc.problems))
            continue
        key = ("id", known.pk) if known else one.doc_key
        if key in seen:
            problems.append(FieldProblem(f"tenants.{i}", "tenancy.tenant_twice", _("This tenant is named twice")))
        seen.add(key)
        checked.append((tenant, report, one))
    if problems:
        raise InvalidInput(problems)
    community = Division.objects.select_for_update().get(code=house.community_id)
    filing = TenancyFiling(
        house=house,
        community=community,
        landlord_name=(house.landlord_label or (house.landlord_org.name if house.landlord_org_id else ""))[:150],
        rooms=rooms,
        monthly_rent=rent,
        starts_on=starts_on,
        ends_on=ends_on,
        channel=DutyChannel.LANDLORD if landlord else "station",
        filed_by=actor,
        filed_at=timezone.now(),
    )
    for _attempt in range(5):
        filing.number = filing_number_next(community.code, starts_on.year)
        try:
            with transaction.atomic():
                filing.save()
            break
        except IntegrityError:
            filing.pk = None
    else:
        raise IntegrityError("no free filing number")
    linked = []
    for _tenant, report, one in checked:
        if landlord:
            done = duty_report(actor=actor, report=report, source=source)
            person, stay = done.report.person, done.stay
        else:
            person, stay = _officer_tenant_stay(actor=actor, house=house, checked=one, source=source)
        TenancyTenant.objects.create(
            filing=filing, person=person, stay=stay if stay is not None and stay.house_id == house.pk else None
        )
        linked.append({"person": person.pk, "stay": getattr(stay, "pk", None)})
    if not house.is_rented:
        house.is_rented = True
        house.save(update_fields=["is_rented"])
        audit_record(
            actor=actor,
            action="house.update",
            obj=house,
            division_code=house.community_id,
            source=source,
            changes={"is_rented": [False, True]},
        )
    audit_record(
        actor=actor,
        action="tenancy.file",
        obj=filing,
        division_code=community.code,
        source=source,
        changes={
            "number": filing.number,
            "house": house.pk,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "rooms": rooms,
            "monthly_rent": rent,
            "tenants": linked,
            "channel": filing.channel,
        },
    )
    tiers_recompute(filing.tenants.values_list("person_id", flat=True), actor=actor)
    return filing


def _officer_tenant_stay(*, actor, house: House, checked, source: str):
    """An officer's tenant: the open stay in the community moves to this house, or a new one is registered."""
    person = _person_resolve(
        actor=actor, checked=checked, channel=SourceChannel.COLLECTOR, community_code=house.community_id, source=source
    )
    if checked.foreign is not None:
        _foreign_upsert(actor=actor, person=person, foreign=checked.foreign, channel=SourceChannel.COLLECTOR)
    stay = Stay.objects.filter(person=person, community_id=house.community_id, departed_on__isnull=True).first()
    if stay is None:
        values = place_values(DutyChannel.LANDLORD, house, checked)
        values["source_channel"] = SourceChannel.COLLECTOR
        return person, _create_stay(actor=actor, person=person, values=values, community=house.community, source=source)
    if stay.house_id != house.pk:
        stay = stay_update(actor=actor, stay_id=stay.pk, house_id=house.pk, source=source)
    return person, stay


@transaction.atomic
def tenancy_end(
    *, actor, filing_id: int, ended_on: dt.date | None, reason: str = "", source: str = "web"
) -> TenancyEnd:
    """End a filed tenancy and close the tenants' open stays at the house on the end date.

    A tenant's stay stays open when another active filing of the same house names them (they renewed or moved
    rooms). A tenant registered at another place after the tenancy started (a stay elsewhere, in this or another
    community, with an arrival on or after the start) left when they arrived there: the house stay closes on
    that arrival date, or on the end date if that comes first, with that place as the destination. A stay that
    already moved to another house in the community, or already ended, is left as it is.
    """
    if not actor.can("tenancy.file"):
        raise PermissionDenied()
    filing = filing_get(user=actor, filing_id=filing_id)
    filing = TenancyFiling.objects.select_for_update().get(pk=filing.pk)
    problems = []
    if filing.status != TenancyStatus.ACTIVE:
        problems.append(FieldProblem("status", "tenancy.already_ended", _("This tenancy has already ended")))
    elif ended_on is None:
        problems.append(FieldProblem("ended_on", "tenancy.end_required", _("The end date is required")))
    elif ended_on < filing.starts_on:
        problems.append(FieldProblem("ended_on", "tenancy.end_before_start", _("The end is before the start")))
    elif ended_on > china_today():
        problems.append(FieldProblem("ended_on", "tenancy.end_future", _("The end date is in the future")))
    reason = " ".join((reason or "").split())
    if len(reason) > 200:
        problems.append(FieldProblem("reason", "tenancy.reason_length", _("The reason is longer than 200 characters")))
    if problems:
        raise InvalidInput(problems)
    done = TenancyEnd(filing=filing)
    others = TenancyFiling.objects.filter(house_id=filing.house_id, status=TenancyStatus.ACTIVE).exclude(pk=filing.pk)
    for tenant in filing.tenants.select_related("person").order_by("pk"):
        person = tenant.person
        stay = (
            Stay.objects.select_for_update()
            .filter(person=person, house_id=filing.house_id, departed_on__isnull=True)
            .first()
        )
        if stay is None:
            done.kept.append((person, "no_open_stay"))
            continue
        if others.filter(tenants__person=person).exists():
            done.kept.append((person, "other_filing"))
            continue
        elsewhere = (
            Stay.objects.filter(person=person, arrived_on__gte=filing.starts_on)
            .filter(~Q(pk=stay.pk))
            .select_related("community")
            .order_by("arrived_on", "pk")
            .first()
        )
        departed_on, destination = ended_on, ""
        if elsewhere is not None:
            departed_on = min(ended_on, elsewhere.arrived_on)
            destination = " ".join(filter(None, [elsewhere.community.name, elsewhere.address]))
        done.closed.append(
            stay_close(actor=actor, stay=stay, departed_on=departed_on, destination=destination, source=source)
        )
    filing.status = TenancyStatus.ENDED
    filing.ended_on = ended_on
    filing.end_reason = reason
    filing.save(update_fields=["status", "ended_on", "end_reason"])
    audit_record(
        actor=actor,
        action="tenancy.end",
        obj=filing,
        division_code=filing.community_id,
        source=source,
        changes={
            "status": [TenancyStatus.ACTIVE, TenancyStatus.ENDED],
            "ended_on": ended_on,
            "reason": reason,
            "closed_stays": [s.pk for s in done.closed],
            "kept": [[p.pk, why] for p, why in done.kept],
        },
    )
    tiers_recompute(filing.tenants.values_list("person_id", flat=True), actor=actor)
    return done
