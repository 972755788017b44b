"""Corrections found in the field (a spot check, a feedback task, a sweep) and confirmations that a stay is true.

A correction is a change of one or more recorded fields with its reason; like every change after creation it
adds a FieldChange row per field, so the history shows who corrected what and the trace-back can find who
set a field last.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import DocumentError, china_today, validate_mobile
from liuguan.core.pinyin import name_initials, name_pinyin
from liuguan.core.scoping import scoped

from ..codes import ETHNICITIES, Education, Marital, SourceChannel
from ..history import field_changes_record
from ..models import FieldChange, Person, Stay
from .stays import bulletins_refresh

# The fields a field worker can see for themselves and correct on the spot; identity (document, birth date,
# sex) is fixed by the document, and where someone lives or works is changed with stay_update.
PERSON_CORRECTABLE = ("name", "ethnicity", "hukou_address", "phone", "education", "marital_status")
STAY_CORRECTABLE = ("address",)
_ETHNICITY = {code for code, _name in ETHNICITIES}


def _clean(field: str, raw) -> object:
    value = "" if raw is None else str(raw).strip()
    if field == "name":
        value = " ".join(value.split())
        if not value or len(value) > 60:
            raise InvalidInput([FieldProblem(field, "person.name", _("Name is required (at most 60 characters)"))])
    elif field == "ethnicity":
        if value not in _ETHNICITY:
            raise InvalidInput([FieldProblem(field, "person.ethnicity", _("Unknown ethnicity code"))])
    elif field == "phone":
        try:
            value = validate_mobile(value) if value else ""
        except DocumentError as exc:
            raise InvalidInput([FieldProblem(field, exc.rule, exc.message)]) from exc
    elif field == "education":
        if value and value not in Education.values:
            raise InvalidInput([FieldProblem(field, "person.education", _("Unknown education level"))])
    elif field == "marital_status":
        if value and value not in Marital.values:
            raise InvalidInput([FieldProblem(field, "person.marital_status", _("Unknown marital status"))])
    elif len(value) > 200:
        raise InvalidInput([FieldProblem(field, "text.too_long", _("At most 200 characters"))])
    return value


@transaction.atomic
def record_correct(
    *,
    actor,
    object_type: str,
    object_id: int,
    values: dict,
    reason: str,
    channel: str = SourceChannel.COLLECTOR,
    source: str = "web",
) -> dict:
    """Set corrected values on a person or a stay; returns {field: (old, new)} of what actually changed."""
    if not actor.can("person.register"):
        raise PermissionDenied()
    allowed = {"registry.person": PERSON_CORRECTABLE, "registry.stay": STAY_CORRECTABLE}.get(object_type)
    if allowed is None:
        raise InvalidInput([FieldProblem("object_type", "correction.object", _("This record cannot be corrected"))])
    unknown = [f for f in values if f not in allowed]
    if unknown:
        raise InvalidInput(
            [FieldProblem(f, "correction.field", _("This field cannot be corrected here")) for f in unknown]
        )
    model = Person if object_type == "registry.person" else Stay
    record = scoped(model.objects.select_for_update(), actor).filter(pk=object_id).first()
    if record is None:
        raise NotFound()
    cleaned = {f: _clean(f, v) for f, v in values.items()}
    changes = {f: (getattr(record, f), v) for f, v in cleaned.items() if getattr(record, f) != v}
    if not changes:
        return {}
    for name, (_old, new) in changes.items():
        setattr(record, name, new)
    update = list(changes)
    if "name" in changes:
        record.name_pinyin, record.name_initials = name_pinyin(record.name).replace(" ", ""), name_initials(record.name)
        update += ["name_pinyin", "name_initials"]
    if model is Person:
        update.append("updated_at")
    record.save(update_fields=update)
    event = audit_record(
        actor=actor,
        action=f"{model._meta.model_name}.correct",
        obj=record,
        source=source,
        division_code=getattr(record, "community_id", "") or getattr(actor, "division_id", "") or "",
        changes={k: list(v) for k, v in changes.items()},
        purpose=(reason or "")[:200],
    )
    field_changes_record(actor=actor, obj=record, changes=changes, channel=channel, audit_event=event)
    if model is Person and changes.keys() & {"name", "phone"}:
        bulletins_refresh([record.pk], actor=actor, source=source)
    return changes


@transaction.atomic
def stay_verify(*, actor, stay_ids: list[int], on: dt.date | None = None, reason: str, source: str = "web") -> int:
    """Confirm in the field that these open stays are still true on a day; staleness counts from it."""
    if not actor.can("person.register"):
        raise PermissionDenied()
    on = on or china_today()
    if on > china_today():
        raise InvalidInput([FieldProblem("on", "verify.future", _("The day of the visit is in the future"))])
    stays = list(scoped(Stay.objects.select_for_update(), actor).filter(pk__in=stay_ids, departed_on__isnull=True))
    if len(stays) != len(set(stay_ids)):
        raise NotFound()
    changed = [s for s in stays if s.verified_on is None or s.verified_on < on]
    for stay in changed:
        stay.verified_on = on
    Stay.objects.bulk_update(changed, ["verified_on"])
    for stay in changed:
        audit_record(
            actor=actor,
            action="stay.verify",
            obj=stay,
            division_code=stay.community_id,
            source=source,
            changes={"verified_on": on.isoformat()},
            purpose=(reason or "")[:200],
        )
    return len(changed)


@dataclass(frozen=True)
class Setter:
    """Who last set a field, when and how: the person a feedback task goes back to."""

    user_id: int | None
    at: dt.datetime | None
    channel: str


def field_setter(*, object_type: str, record, field: str) -> Setter:
    """The last change of the field in its history, or else whoever created the record."""
    change = (
        FieldChange.objects.filter(object_type=object_type, object_id=record.pk, field=field)
        .order_by("-recorded_at", "-id")
        .first()
    )
    if change is not None:
        return Setter(change.actor_id, change.recorded_at, change.channel)
    if object_type == "registry.person":
        return Setter(record.created_by_id, record.created_at, record.source_channel)
    return Setter(record.collector_id, record.registered_at, record.source_channel)
