"""What every permit service shares: the trail of events, numbering, the issuing authority's name."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput
from liuguan.core.identity import china_today
from liuguan.geo.models import Division

from ..models import PermitEvent

# Divisions whose name is a placeholder rather than a city (Chongqing's 市辖区, province-administered counties).
NOT_A_CITY = {"", "市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def current_day() -> dt.date:
    """Today in China: the one clock the permit services and pages read (tests move it to the day they need)."""
    return china_today()


def who(actor):
    """The account to name in a foreign key: a saved user, or None for the system and unsaved stand-ins."""
    return actor if getattr(actor, "pk", None) and hasattr(actor, "_meta") else None


def event(*, action: str, actor, application=None, permit=None, note: str = "") -> PermitEvent:
    """One step of the ID queue's trail: who did what, when."""
    return PermitEvent.objects.create(
        application=application, permit=permit, action=action, actor=who(actor), note=str(note)[:300]
    )


def events(*, actor, steps: list[tuple[str, str]], application=None, permit=None) -> None:
    """Several steps taken at once (received and accepted), written in one statement, in order."""
    PermitEvent.objects.bulk_create(
        [
            PermitEvent(application=application, permit=permit, action=action, actor=who(actor), note=str(note)[:300])
            for action, note in steps
        ]
    )


def clean_text(value: str | None, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def require_text(value: str | None, *, field: str, rule: str, message, limit: int = 200) -> str:
    text = clean_text(value, limit)
    if not text:
        raise InvalidInput([FieldProblem(field, rule, message)])
    return text


def next_number(model, stem: str, width: int) -> str:
    """The next running number after `stem`; a range query, so the unique index serves it on both databases."""
    last = (
        model.objects.filter(number__gte=stem, number__lt=stem + "~")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(stem) :]) + 1 if last and last[len(stem) :].isdigit() else 1
    return f"{stem}{sequence:0{width}d}"


def save_numbered(obj, stem: str, width: int) -> None:
    """Two officers numbering at the same moment get consecutive numbers, never the same one."""
    create_numbered([obj], lambda _obj: stem, width)


def create_numbered(objs: list, stem_of, width: int) -> None:
    """Insert new rows with running numbers after each one's stem, in one statement; a number taken meanwhile by
    another office is retried with the next ones, never given twice.
    """
    model = type(objs[0])
    for _attempt in range(5):
        last: dict[str, int] = {}
        for obj in objs:
            stem = stem_of(obj)
            if stem not in last:
                last[stem] = int(next_number(model, stem, width)[len(stem) :]) - 1
            last[stem] += 1
            obj.number = f"{stem}{last[stem]:0{width}d}"
        try:
            with transaction.atomic():
                model.objects.bulk_create(objs)
            return
        except IntegrityError:
            for obj in objs:
                obj.pk = None
    raise Conflict(_("Could not give a number; try again"), field="number", rule="permit.number")


def audit_many(*, actor, action: str, objs: list, source: str, changes_of) -> None:
    """One audit event per object when one is acted on; one event naming them all for a batch (a print run)."""
    if len(objs) == 1:
        obj = objs[0]
        audit_record(
            actor=actor, action=action, obj=obj, division_code=obj.community_id, source=source, changes=changes_of(obj)
        )
        return
    codes = [obj.community_id for obj in objs]
    common = codes[0]
    for code in codes[1:]:
        while not code.startswith(common):
            common = common[:-1]
    audit_record(
        actor=actor,
        action=action,
        object_type=objs[0]._meta.label_lower,
        division_code=common,
        source=source,
        changes={"batch": len(objs), "items": [{"id": obj.pk, **changes_of(obj)} for obj in objs]},
    )


def issuer_names(community_codes) -> dict[str, str]:
    """The county public security organ that issues permits in each community (Order 663 Art. 8): a city
    district's branch bureau (成都市公安局锦江区分局), else the county's or county-level city's own bureau.
    """
    codes = {prefix for code in community_codes for prefix in (code[:2], code[:4], code[:6])}
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    found = {}
    for code in community_codes:
        county = names.get(code[:6], "")
        city = names.get(code[:4], "")
        if city in NOT_A_CITY:
            city = names.get(code[:2], "")
        found[code] = f"{city}公安局{county}分局" if county.endswith("区") and city else f"{county or city}公安局"
    return found


def issuer_name(community_code: str) -> str:
    return issuer_names([community_code])[community_code]
