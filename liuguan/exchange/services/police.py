"""Police cooperation: assist-investigation bulletins (协查通报) matched against registrations, and offence notices
(违法犯罪信息通报) sent to the police of a person's hukou county.

A bulletin is matched against every open stay in the province when it is issued, and after that against every
new or changed registration: the registry's stay and contact services and the batch import call
`bulletins_match` explicitly, in the same transaction as their write (no signals). Matching only ever happens
while a bulletin is active and inside its validity, so there is never a hit outside it.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import DocumentError, china_today, parse_document, validate_mobile
from liuguan.core.pinyin import name_pinyin
from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.geo.models import Division
from liuguan.registry.models import Person, Stay

from ..models import Bulletin, BulletinHit, OffenceNotice

WORKED = frozenset({BulletinHit.Status.CONFIRMED, BulletinHit.Status.DISMISSED, BulletinHit.Status.CONCLUDED})
NUMBER_RETRIES = 5


@dataclass
class BulletinInput:
    """What a police user states in a bulletin: at least one identifier, a reason and a validity."""

    reason: str
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    unit_code: str = ""
    doc_type: str = ""
    doc_number: str = ""
    name: str = ""
    birth_date: dt.date | None = None
    phone: str = ""


def _province() -> str:
    return settings.LIUGUAN_PROVINCE_CODE


def _next_number(model, prefix: str) -> str:
    """The next number of a year's series, `prefix` + a four-digit sequence (the unique index settles races)."""
    last = model.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    seq = int(last[len(prefix) :]) + 1 if last and last[len(prefix) :].isdigit() else 1
    return f"{prefix}{seq:04d}"


def _save_numbered(obj, prefix: str) -> None:
    for attempt in range(NUMBER_RETRIES):
        obj.number = _next_number(type(obj), prefix)
        try:
            with transaction.atomic():
                obj.save()
            return
        except IntegrityError:
            if attempt == NUMBER_RETRIES - 1:
                raise


def _bulletin_check(data: BulletinInput, actor) -> tuple[dict, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    values: dict = {}
    code = jurisdiction(actor)
    unit_code = (data.unit_code or code or "").strip()
    unit = Division.objects.filter(code=unit_code).first() if code and unit_code.startswith(code) else None
    if unit is None:
        problems.append(
            FieldProblem("unit", "bulletin.unit_in_scope", _("The issuing unit must be inside your jurisdiction"))
        )
    values["unit"] = unit
    reason = " ".join((data.reason or "").split())
    if len(reason) < 4:
        problems.append(
            FieldProblem("reason", "bulletin.reason_required", _("State the reason (at least 4 characters)"))
        )
    values["reason"] = reason[:300]
    values["doc_type"] = values["doc_number"] = ""
    if (data.doc_number or "").strip():
        doc_type = data.doc_type or "citizen_id"
        try:
            values["doc_number"] = parse_document(doc_type, data.doc_number).number
            values["doc_type"] = doc_type
        except DocumentError as exc:
            problems.append(FieldProblem(exc.field, exc.rule, exc.message))
    name = " ".join((data.name or "").split())
    values["name"], values["birth_date"] = name[:60], data.birth_date
    values["name_pinyin"] = name_pinyin(name).replace(" ", "") if name else ""
    if name and data.birth_date is None:
        problems.append(
            FieldProblem(
                "birth_date", "bulletin.name_needs_birth_date", _("A name is matched together with a birth date")
            )
        )
    values["phone"] = ""
    if (data.phone or "").strip():
        try:
            values["phone"] = validate_mobile(data.phone)
        except DocumentError as exc:
            problems.append(FieldProblem("phone", exc.rule, exc.message))
    has_identifier = (data.doc_number or "").strip() or (name and data.birth_date) or (data.phone or "").strip()
    if not has_identifier:
        problems.append(
            FieldProblem(
                "doc_number",
                "bulletin.identifier_required",
                _("Give at least one identifier: a document number, a name with birth date, or a phone"),
            )
        )
    start, end = (
        timezone.make_aware(moment) if moment is not None and timezone.is_naive(moment) else moment
        for moment in (data.valid_from, data.valid_until)
    )
    if start is None:
        problems.append(
            FieldProblem("valid_from", "bulletin.valid_from_required", _("The start of validity is required"))
        )
    if end is None:
        problems.append(
            FieldProblem("valid_until", "bulletin.valid_until_required", _("The end of validity is required"))
        )
    elif start is not None and end <= start:
        problems.append(FieldProblem("valid_until", "bulletin.validity_order", _("Validity must end after it starts")))
    elif end <= timezone.now():
        problems.append(FieldProblem("valid_until", "bulletin.validity_past", _("Validity has already ended")))
    values["valid_from"], values["valid_until"] = start, end
    return values, problems


@transaction.atomic
def bulletin_issue(*, actor, bulletin: BulletinInput, source: str = "web") -> Bulletin:
    """Issue a bulletin (number `XC` + unit + year + sequence) and match it at once against every open stay in
    the province.
    """
    if not actor.can("bulletin.issue"):
        raise PermissionDenied()
    values, problems = _bulletin_check(bulletin, actor)
    if problems:
        raise InvalidInput(problems)
    record = Bulletin(issued_by=actor, **values)
    _save_numbered(record, f"XC{record.unit.code}{timezone.localdate().year}")
    audit_record(
        actor=actor,
        action="bulletin.issue",
        obj=record,
        division_code=record.unit_id,
        source=source,
        changes={
            "number": record.number,
            "reason": record.reason,
            "identifiers": [k for k in ("doc_number", "name", "phone") if values[k]],
            "valid_from": record.valid_from,
            "valid_until": record.valid_until,
        },
    )
    _match([record], stays=None, actor=actor, source=source)
    return record


def _identifiers(bulletin: Bulletin) -> Q:
    """The person fields a bulletin matches on, as one query condition over stays."""
    q = Q(pk__in=[])
    if bulletin.doc_number:
        q |= Q(person__doc_type=bulletin.doc_type or "citizen_id", person__doc_number=bulletin.doc_number)
    if bulletin.name_pinyin and bulletin.birth_date:
        q |= Q(person__name_pinyin=bulletin.name_pinyin, person__birth_date=bulletin.birth_date)
    if bulletin.phone:
        q |= Q(person__phone=bulletin.phone)
    return q


def _matched_on(bulletin: Bulletin, person: Person) -> list[str]:
    found = []
    if bulletin.doc_number and person.doc_number == bulletin.doc_number:
        found.append("doc_number")
    if bulletin.name_pinyin and bulletin.birth_date == person.birth_date and person.name_pinyin == bulletin.name_pinyin:
        found.append("name_birth_date")
    if bulletin.phone and person.phone == bulletin.phone:
        found.append("phone")
    return found


def active_bulletins(now: dt.datetime | None = None) -> list[Bulletin]:
    """Bulletins in force right now: active and inside their validity."""
    now = now or timezone.now()
    return list(Bulletin.objects.filter(status=Bulletin.Status.ACTIVE, valid_from__lte=now, valid_until__gte=now))


def _match(bulletins: list[Bulletin], *, stays: Q | None, actor, source: str) -> list[BulletinHit]:
    now = timezone.now()
    bulletins = [b for b in bulletins if b.status == Bulletin.Status.ACTIVE and b.valid_from <= now <= b.valid_until]
    if not bulletins:
        return []
    condition = Q(pk__in=[])
    for b in bulletins:
        condition |= _identifiers(b)
    qs = Stay.objects.filter(within("community_id", _province()), departed_on__isnull=True).filter(condition)
    if stays is not None:
        qs = qs.filter(stays)
    found = list(qs.select_related("person"))
    if not found:
        return []
    existing = set(
        BulletinHit.objects.filter(bulletin__in=bulletins, stay__in=[s.pk for s in found]).values_list(
            "bulletin_id", "stay_id"
        )
    )
    made = []
    for stay in found:
        for b in bulletins:
            matched_on = _matched_on(b, stay.person)
            if not matched_on or (b.pk, stay.pk) in existing:
                continue
            hit = BulletinHit(
                bulletin=b, person=stay.person, stay=stay, community_id=stay.community_id, matched_on=matched_on
            )
            try:
                with transaction.atomic():
                    hit.save()
            except IntegrityError:
                continue  # a concurrent registration found it first
            audit_record(
                actor=actor,
                action="bulletin.hit",
                obj=hit,
                division_code=b.unit_id,
                source=source,
                changes={
                    "bulletin": b.number,
                    "person": stay.person_id,
                    "stay": stay.pk,
                    "community": stay.community_id,
                    "since": stay.arrived_on,
                    "matched_on": matched_on,
                },
            )
            made.append(hit)
    if made:
        # People whose hukou another instance serves: its police are told through the outflow exchange.
        from liuguan.outflow.services.notices import bulletin_hits_forward

        bulletin_hits_forward(made)
    return made


def bulletins_match(person_ids=(), *, actor, stay_ids=(), source: str = "web") -> list[BulletinHit]:
    """Match the bulletins in force against the open stays of these people (or these stays), after a
    registration or a change; one query when no bulletin is in force, two when one is.
    """
    if not person_ids and not stay_ids:
        return []
    bulletins = active_bulletins()
    if not bulletins:
        return []
    which = Q(pk__in=[])
    if person_ids:
        which |= Q(person_id__in=list(person_ids))
    if stay_ids:
        which |= Q(pk__in=list(stay_ids))
    with transaction.atomic():
        return _match(bulletins, stays=which, actor=actor, source=source)


def bulletins_sweep(*, actor=None) -> int:
    """Match every bulletin in force against all open stays (a bulletin whose validity starts later is matched
    once it starts); hits already found are not found twice.
    """
    from liuguan.core.audit import SYSTEM

    with transaction.atomic():
        return len(_match(active_bulletins(), stays=None, actor=actor or SYSTEM, source="job"))


def _scoped_bulletin(actor, bulletin_id: int, *, lock: bool = False) -> Bulletin:
    qs = Bulletin.objects.select_for_update(of=("self",)) if lock else Bulletin.objects.all()
    found = scoped(qs, actor).filter(pk=bulletin_id).first()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def bulletin_withdraw(*, actor, bulletin_id: int, reason: str = "", source: str = "web") -> Bulletin:
    """Withdraw a bulletin: it is matched no more; the hits found so far stay to be worked."""
    if not actor.can("bulletin.issue"):
        raise PermissionDenied()
    bulletin = _scoped_bulletin(actor, bulletin_id, lock=True)
    if bulletin.status != Bulletin.Status.ACTIVE:
        raise InvalidInput([FieldProblem("status", "bulletin.not_active", _("This bulletin is no longer active"))])
    bulletin.status = Bulletin.Status.WITHDRAWN
    bulletin.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="bulletin.withdraw",
        obj=bulletin,
        division_code=bulletin.unit_id,
        source=source,
        changes={"status": [Bulletin.Status.ACTIVE, Bulletin.Status.WITHDRAWN], "reason": (reason or "").strip()[:200]},
    )
    return bulletin


@transaction.atomic
def bulletin_hit_work(*, actor, hit_id: int, status: str, conclusion: str, source: str = "web") -> BulletinHit:
    """The issuing unit works a hit to a conclusion: the wanted person, someone else, or concluded."""
    if not actor.can("bulletin.view"):
        raise PermissionDenied()
    hit = (
        BulletinHit.objects.select_for_update()
        .filter(pk=hit_id, bulletin__in=scoped(Bulletin.objects.all(), actor))
        .first()
    )
    if hit is None:
        raise NotFound()
    problems = []
    if status not in WORKED:
        problems.append(FieldProblem("status", "bulletin_hit.status", _("Choose confirmed, dismissed or concluded")))
    conclusion = " ".join((conclusion or "").split())
    if len(conclusion) < 2:
        problems.append(FieldProblem("conclusion", "bulletin_hit.conclusion_required", _("Write the conclusion")))
    if problems:
        raise InvalidInput(problems)
    before = hit.status
    hit.status, hit.conclusion, hit.worked_by, hit.worked_at = status, conclusion[:300], actor, timezone.now()
    hit.save(update_fields=["status", "conclusion", "worked_by", "worked_at"])
    audit_record(
        actor=actor,
        action="bulletin.hit_work",
        obj=hit,
        division_code=hit.bulletin.unit_id,
        source=source,
        changes={"status": [before, status], "conclusion": hit.conclusion},
    )
    return hit


# Offence notices.


@transaction.atomic
def offence_notice_send(*, actor, person_id: int, offence: str, occurred_on: dt.date | None, source: str = "web"):
    """Send an offence notice to the police of the person's hukou county. In this province it is an
    OffenceNotice they receive here; a hukou in another province goes as a message to the peer instance that
    serves it (a ForwardedNotice is returned), and is refused when no peer serves that area.
    """
    from liuguan.outflow.services.notices import offence_forward, peer_serving

    if not actor.can("offence.notify"):
        raise PermissionDenied()
    person = scoped(Person.objects.all(), actor).filter(pk=person_id).first()
    if person is None or not actor.division_id:
        raise NotFound()
    problems = []
    offence = " ".join((offence or "").split())
    if len(offence) < 4:
        problems.append(FieldProblem("offence", "offence.required", _("Describe the offence (at least 4 characters)")))
    if occurred_on is None:
        problems.append(FieldProblem("occurred_on", "offence.date_required", _("The date of the offence is required")))
    elif occurred_on > china_today():
        problems.append(
            FieldProblem("occurred_on", "offence.date_future", _("The date of the offence is in the future"))
        )
    hukou = (person.hukou_code or "").strip()
    area = peer = None
    if not hukou:
        problems.append(
            FieldProblem("person_id", "offence.hukou_unknown", _("This person's hukou area is not on the register"))
        )
    elif not hukou.startswith(_province()):
        peer = peer_serving(hukou)
        if peer is None:
            problems.append(
                FieldProblem(
                    "person_id",
                    "offence.hukou_outside_province",
                    _(
                        "This person's hukou lies outside the province and no peer instance of the outflow exchange "
                        "serves that area: the notice cannot be delivered"
                    ),
                )
            )
    else:
        area = Division.objects.filter(code__in=[hukou[:6], hukou[:4]]).order_by("-code").first()
        if area is None:
            problems.append(
                FieldProblem(
                    "person_id", "offence.hukou_area_unknown", _("The hukou area code is not a known division")
                )
            )
    if problems:
        raise InvalidInput(problems)
    if peer is not None:
        return offence_forward(
            actor=actor, person=person, peer=peer, offence=offence[:300], occurred_on=occurred_on, source=source
        )
    notice = OffenceNotice(
        person=person,
        issued_by=actor,
        issuing_unit_id=actor.division_id,
        hukou_area=area,
        offence=offence[:300],
        occurred_on=occurred_on,
    )
    _save_numbered(notice, f"WF{actor.division_id}{timezone.localdate().year}")
    audit_record(
        actor=actor,
        action="offence.send",
        obj=notice,
        division_code=area.code,
        source=source,
        changes={
            "number": notice.number,
            "person": person.pk,
            "issuing_unit": notice.issuing_unit_id,
            "hukou_area": area.code,
            "occurred_on": occurred_on,
        },
    )
    return notice


@transaction.atomic
def offence_notice_acknowledge(*, actor, notice_id: int, source: str = "web") -> OffenceNotice:
    """The police of the hukou area acknowledge a notice they received (the sender sees the status change)."""
    if not actor.can("offence.notify"):
        raise PermissionDenied()
    code = jurisdiction(actor)
    notice = (
        OffenceNotice.objects.select_for_update(of=("self",))
        .filter(pk=notice_id, hukou_area__code__startswith=code)
        .first()
        if code
        else None
    )
    if notice is None:
        raise NotFound()
    if notice.status == OffenceNotice.Status.ACKNOWLEDGED:
        return notice
    notice.status = OffenceNotice.Status.ACKNOWLEDGED
    notice.acknowledged_by, notice.acknowledged_at = actor, timezone.now()
    notice.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit_record(
        actor=actor,
        action="offence.acknowledge",
        obj=notice,
        division_code=notice.hukou_area_id,
        source=source,
        changes={"status": [OffenceNotice.Status.SENT, OffenceNotice.Status.ACKNOWLEDGED]},
    )
    return notice
