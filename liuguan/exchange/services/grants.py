"""Grants: a subsystem may use a dataset's listed fields, in listed ways, for a purpose, inside an area, for a
term. A city officer grants inside the city only; the province administrator anywhere in the province.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.scoping import jurisdiction
from liuguan.geo.models import Division

from ..models import Dataset, Grant, Subsystem, Way

MAX_TERM_DAYS = 3 * 366


def _admin(actor) -> str:
    if actor is None or not actor.can("exchange.admin") or jurisdiction(actor) is None:
        raise PermissionDenied()
    return jurisdiction(actor)


@transaction.atomic
def grant_issue(
    *,
    actor,
    subsystem_id,
    dataset: str,
    fields: list[str],
    ways: list[str],
    purpose: str,
    area_code: str,
    valid_from: dt.date,
    expires_on: dt.date,
    source: str = "web",
) -> Grant:
    """Nothing is shared without a grant: it names real fields of the dataset, known ways, a stated purpose and a
    real division inside the granting officer's own jurisdiction.
    """
    own_area = _admin(actor)
    problems = []
    subsystem = Subsystem.objects.select_related("department").filter(pk=subsystem_id).first()
    if subsystem is None or not subsystem.active:
        problems.append(FieldProblem("subsystem_id", "exchange.subsystem_unknown", _("No active subsystem")))
    catalogue = Dataset.objects.filter(code=dataset).first()
    fields = list(dict.fromkeys(fields or []))
    ways = list(dict.fromkeys(ways or []))
    if catalogue is None:
        problems.append(FieldProblem("dataset", "exchange.dataset_unknown", _("Not a dataset of the catalogue")))
    elif not fields:
        problems.append(FieldProblem("fields", "exchange.fields_required", _("Name at least one field")))
    else:
        unknown = [name for name in fields if name not in catalogue.field_names]
        if unknown:
            message = _("Not fields of %(dataset)s: %(fields)s") % {"dataset": dataset, "fields": ", ".join(unknown)}
            problems.append(FieldProblem("fields", "exchange.field_unknown", message))
    if not ways:
        problems.append(FieldProblem("ways", "exchange.ways_required", _("Name at least one way of sharing")))
    elif any(way not in Way.values for way in ways):
        message = _("Ways of sharing are %(ways)s") % {"ways": ", ".join(Way.values)}
        problems.append(FieldProblem("ways", "exchange.way_unknown", message))
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 200:
        problems.append(FieldProblem("purpose", "exchange.purpose_required", _("State the purpose (up to 200)")))
    area = Division.objects.filter(code=area_code or "").first()
    if area is None:
        problems.append(FieldProblem("area_code", "exchange.area_unknown", _("Not a division")))
    elif not area.code.startswith(own_area):
        message = _("The area lies outside your jurisdiction")
        problems.append(FieldProblem("area_code", "exchange.area_outside", message))
    if not valid_from or not expires_on or expires_on < valid_from:
        problems.append(FieldProblem("expires_on", "exchange.term", _("A grant expires on or after it starts")))
    elif (expires_on - valid_from).days > MAX_TERM_DAYS:
        message = _("A grant runs for at most %(days)d days; renew it after review") % {"days": MAX_TERM_DAYS}
        problems.append(FieldProblem("expires_on", "exchange.term_too_long", message))
    if problems:
        raise InvalidInput(problems)
    grant = Grant.objects.create(
        subsystem=subsystem,
        dataset=catalogue,
        fields=fields,
        ways=ways,
        purpose=purpose,
        area=area,
        valid_from=valid_from,
        expires_on=expires_on,
        granted_by=actor,
    )
    audit_record(
        actor=actor,
        action="grant.issue",
        obj=grant,
        division_code=area.code,
        changes={
            "department": subsystem.department_id,
            "subsystem": subsystem.code,
            "dataset": dataset,
            "fields": fields,
            "ways": ways,
            "purpose": purpose,
            "area": area.code,
            "valid_from": valid_from,
            "expires_on": expires_on,
        },
        source=source,
    )
    return grant


@transaction.atomic
def grant_revoke(*, actor, grant_id, reason: str = "", source: str = "web") -> Grant:
    """A revoked grant gives nothing from the next call on; officers revoke grants inside their jurisdiction."""
    own_area = _admin(actor)
    grant = Grant.objects.select_for_update().select_related("subsystem").filter(pk=grant_id).first()
    if grant is None or not grant.area_id.startswith(own_area):
        raise NotFound()
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="grant.revoke",
            obj=grant,
            division_code=grant.area_id,
            changes={
                "department": grant.subsystem.department_id,
                "subsystem": grant.subsystem.code,
                "dataset": grant.dataset_id,
                "reason": (reason or "")[:200],
            },
            source=source,
        )
    return grant
