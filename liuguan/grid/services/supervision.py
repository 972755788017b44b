"""Supervision (督办): an event whose stage is past its deadline is marked overdue and its unit gets a yellow card;
still overdue `red_after_days` working days after the yellow card, a red card goes to the level above the unit
(the division above an office; for a department, the county of the event's area). Safe to run every hour: a
card exists once per event, stage, deadline and colour. Parts of joint cases are supervised the same way, each
against its own unit (services/joint.py).
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.identity import china_today
from liuguan.core.workdays import working_days_between

from ..models import GridEvent, Stage, State, Supervision

PARENT_LENGTH = {12: 9, 9: 6, 6: 4, 4: 2}


def level_above(event: GridEvent, held_division: str | None) -> str | None:
    """The division that supervises the unit: the one above an office, the event's county above a department."""
    if held_division:
        length = PARENT_LENGTH.get(len(held_division))
        return held_division[:length] if length else None
    return event.community_id[:6]


def _card(event: GridEvent, stage: str, due: dt.date, card: str, today: dt.date) -> Supervision:
    # Not routed yet: the community's station, which routes it, answers for the delay.
    held_division = event.assigned_division_id or (None if event.assigned_department_id else event.community_id)
    card_row = Supervision.objects.create(
        event=event,
        community_id=event.community_id,
        stage=stage,
        card=card,
        due_on=due,
        held_division_id=held_division,
        held_department_id=event.assigned_department_id,
        to_division_id=held_division if card == Supervision.Card.YELLOW else level_above(event, held_division),
        issued_on=today,
    )
    audit_record(
        actor=SYSTEM,
        action=f"grid_event.{card}_card",
        obj=event,
        division_code=event.community_id,
        source="job",
        changes={"number": event.number, "stage": stage, "due_on": due, "to": card_row.to_division_id or ""},
    )
    return card_row


def supervise(today: dt.date | None = None) -> dict[str, int]:
    """Mark overdue stages and issue the yellow and red cards they have earned by `today`."""
    today = today or china_today()
    red_after = int(settings.LIUGUAN_GRID["red_after_days"])
    counts = {"overdue": 0, "yellow": 0, "red": 0}
    accept = Q(state__in=(State.DISCOVERED, State.TRANSMITTED), accept_due__lt=today)
    dispose = Q(state__in=(State.ACCEPTED, State.IN_PROGRESS), dispose_due__lt=today)
    for pk in list(GridEvent.objects.filter(accept | dispose).order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            event = GridEvent.objects.select_for_update().filter(pk=pk).first()
            stage, due = event.stage, event.due
            if stage is None or due is None or due >= today:
                continue
            counts["overdue"] += 1
            flag = "accept_overdue" if stage == Stage.ACCEPT else "dispose_overdue"
            if not getattr(event, flag):
                setattr(event, flag, True)
                event.save(update_fields=[flag])
            cards = {c.card: c for c in Supervision.objects.filter(event=event, stage=stage, due_on=due)}
            yellow = cards.get(Supervision.Card.YELLOW)
            if yellow is None:
                _card(event, stage, due, Supervision.Card.YELLOW, today)
                counts["yellow"] += 1
            elif Supervision.Card.RED not in cards and working_days_between(yellow.issued_on, today) >= red_after:
                _card(event, stage, due, Supervision.Card.RED, today)
                counts["red"] += 1
    # The parts of joint cases, each held against its own unit.
    from .joint import supervise_parts

    for key, value in supervise_parts(today, red_after).items():
        counts[key] += value
    return counts
