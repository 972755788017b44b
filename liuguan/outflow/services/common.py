"""Small pieces the outflow services share: the province, full division names, the person block of a message,
and the history step every change of an outflow record leaves.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from liuguan.geo.models import Division
from liuguan.geo.names import place_names
from liuguan.registry.models import Person

from ..models import OutflowEvent, OutflowRecord


def province_code() -> str:
    return settings.LIUGUAN_PROVINCE_CODE


def in_province(code: str) -> bool:
    return bool(code) and code.startswith(province_code())


def county_of(code: str) -> str:
    return (code or "")[:6]


def user_fk(actor):
    """The user to store in a foreign key: None for the system and for message handlers."""
    return actor if getattr(actor, "pk", None) else None


def full_name(code: str) -> str:
    return place_names([code]).get(code, "") if code else ""


def person_block(person: Person) -> dict:
    """A person as messages carry them: who they are, nothing more."""
    return {
        "doc_type": person.doc_type,
        "doc_number": person.doc_number,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "hukou_code": person.hukou_code,
    }


def origin_for_hukou(hukou_code: str) -> Division | None:
    """The division that owns the outflow record of someone whose hukou names only a county: the county, or
    (for a retired county code) the prefecture or the province it lay in.
    """
    candidates = [hukou_code[:n] for n in (6, 4, 2) if len(hukou_code) >= n]
    found = {d.code: d for d in Division.objects.filter(code__in=candidates)}
    return next((found[c] for c in candidates if c in found), None)


def event_add(
    record: OutflowRecord, kind: str, *, actor, peer_code: str = "", note: str = "", data: dict | None = None
) -> OutflowEvent:
    return OutflowEvent.objects.create(
        record=record,
        kind=kind,
        actor=user_fk(actor),
        peer_code=peer_code,
        note=(note or "")[:300],
        data=data or {},
        at=timezone.now(),
    )


def later(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
