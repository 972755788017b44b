"""Breaches recorded by people: incidents at a rental house, a hotel or an employer, against the agreement in force.

Reporting breaches (late and missing reports) are found by `liuguan.compliance.detection`, not typed in.
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped
from liuguan.registry.models import Employer, House, Lodging, Person

from ..codes import BreachKind, DutyChannel
from ..models import Breach
from .agreements import agreement_in_force

PARTIES = (("house_id", House, DutyChannel.LANDLORD), ("lodging_id", Lodging, DutyChannel.HOTEL),
           ("employer_id", Employer, DutyChannel.EMPLOYER))  # fmt: skip


@transaction.atomic
def breach_record(
    *,
    actor,
    occurred_on: dt.date,
    note: str,
    kind: str = BreachKind.INCIDENT,
    house_id: int | None = None,
    lodging_id: int | None = None,
    employer_id: int | None = None,
    person_id: int | None = None,
    source: str = "web",
) -> Breach:
    """Officers, police and field staff record a breach at one house, hotel or employer inside their area, on a
    day not in the future, with what happened; it is held against the agreement in force on that day, if any.
    An incident naming a person counts in that person's classification, so their tier is recomputed.
    """
    if not actor.can("breach.record"):
        raise PermissionDenied()
    problems: list[FieldProblem] = []
    if kind not in BreachKind.values:
        problems.append(FieldProblem("kind", "breach.kind", _("Choose a kind of breach")))
    given = {"house_id": house_id, "lodging_id": lodging_id, "employer_id": employer_id}
    named = [field for field, value in given.items() if value]
    party = channel = None
    if len(named) != 1:
        problems.append(
            FieldProblem("house_id", "breach.one_party", _("Name exactly one rental house, hotel or employer"))
        )
    else:
        field = named[0]
        model, channel = next((m, c) for f, m, c in PARTIES if f == field)
        party = scoped(model.objects.all(), actor).filter(pk=given[field]).first()
        if party is None:
            problems.append(
                FieldProblem(field, "breach.party_in_scope", _("Choose a place registered inside your area"))
            )
    person = None
    if person_id:
        person = scoped(Person.objects.all(), actor).filter(pk=person_id).first()
        if person is None:
            problems.append(FieldProblem("person_id", "breach.person_in_scope", _("Unknown person")))
    if occurred_on is None:
        problems.append(FieldProblem("occurred_on", "breach.date_required", _("Give the date")))
    elif occurred_on > china_today():
        problems.append(FieldProblem("occurred_on", "breach.date_not_future", _("The date is in the future")))
    note = " ".join((note or "").split())[:300]
    if not note:
        problems.append(FieldProblem("note", "breach.note_required", _("Say what happened")))
    if problems:
        raise InvalidInput(problems)
    agreement = agreement_in_force(**{named[0]: party.pk}, on=occurred_on)
    breach = Breach.objects.create(
        kind=kind,
        community_id=party.community_id,
        channel=channel,
        agreement=agreement,
        person=person,
        occurred_on=occurred_on,
        note=note,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        **{named[0]: party.pk},
    )
    audit_record(
        actor=actor,
        action="breach.record",
        obj=breach,
        division_code=breach.community_id,
        source=source,
        changes={
            "kind": kind,
            named[0]: party.pk,
            "person": person_id,
            "occurred_on": occurred_on,
            "note": note,
            "agreement": agreement.number if agreement else None,
        },
    )
    if person is not None:
        from ..classification import tiers_recompute

        tiers_recompute([person.pk])
    return breach
