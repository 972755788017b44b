"""Telling the reporter: one Notification per change of state, in the reporter's own channel, and the survey
after closing. Sending (the SMS gateway, an e-mail) is pluggable later: the rows hold exactly what would be sent.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Channel, GridEvent, GridEventStep, Notification, State, Survey


def _recipient(event: GridEvent) -> str:
    if event.channel == Channel.PORTAL:
        return event.reporter.username if event.reporter_id else ""
    if event.channel == Channel.SMS:
        return event.reporter_phone
    if event.channel == Channel.OPEN311:
        return event.reporter_email or (event.open311_client.name if event.open311_client_id else "")
    return ""


def _text(event: GridEvent, step: GridEventStep) -> str:
    state = State(step.to_state).label
    text = _("Your report %(number)s: %(state)s.") % {"number": event.number, "state": state}
    if step.routed_label:
        text += " " + _("Now with %(unit)s.") % {"unit": step.routed_label}
    if step.note:
        text += " " + step.note
    return text[:500]


def notify_step(event: GridEvent, step: GridEventStep) -> Notification | None:
    """The reporter hears of every change in their own channel; system events and anonymous ones tell no one."""
    recipient = _recipient(event)
    if event.channel == Channel.NONE or not recipient:
        return None
    return Notification.objects.create(
        event=event,
        step=step,
        channel=event.channel,
        recipient=recipient,
        user=event.reporter if event.channel == Channel.PORTAL else None,
        message=_text(event, step),
    )


def survey_open(event: GridEvent, disposer: tuple) -> Survey | None:
    """After closing, ask the reporter whether it is solved, by a link that works `survey_days` days."""
    recipient = _recipient(event)
    if event.channel == Channel.NONE or not recipient:
        return None
    now = timezone.now()
    survey = Survey.objects.create(
        event=event,
        token=Survey.new_token(),
        closed_state=event.state,
        disposed_division_id=disposer[0],
        disposed_department_id=disposer[1],
        created_at=now,
        expires_at=now + dt.timedelta(days=int(settings.LIUGUAN_GRID["survey_days"])),
    )
    link = reverse("grid:survey", args=[survey.token])
    Notification.objects.create(
        event=event,
        channel=event.channel,
        recipient=recipient,
        user=event.reporter if event.channel == Channel.PORTAL else None,
        message=(
            _("Is the problem of your report %(number)s solved? Tell us: %(link)s")
            % {
                "number": event.number,
                "link": link,
            }
        )[:500],
    )
    return survey
