"""The reporter's answer after closing (FixMyStreet's questionnaire): solved, or not.

"Not solved" on an event closed as fixed reopens it in the reporter's name; on an event closed as not fixed it
stays closed and counts against the unit that disposed of it (supervision_by_unit's `unsolved`).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import Conflict, NotFound

from ..models import State, Survey
from .events import reopen_for_reporter


def survey_by_token(token: str) -> Survey:
    survey = Survey.objects.select_related("event", "event__category").filter(token=token).first()
    if survey is None or survey.expires_at < timezone.now():
        raise NotFound()
    return survey


@transaction.atomic
def survey_answer(*, token: str, solved: bool, comment: str = "") -> Survey:
    """Record the reporter's answer once; "not solved" reopens a fixed-closed event."""
    survey = Survey.objects.select_for_update().filter(token=token).first()
    if survey is None or survey.expires_at < timezone.now():
        raise NotFound()
    if survey.answered_at is not None:
        raise Conflict(_("This question has been answered already"), rule="grid.survey_answered")
    survey.solved = solved
    survey.comment = " ".join(comment.split())[:500]
    survey.answered_at = timezone.now()
    survey.save(update_fields=["solved", "comment", "answered_at"])
    event = survey.event
    audit_record(
        actor=SYSTEM,
        action="grid_event.survey",
        obj=event,
        division_code=event.community_id,
        source="public",
        changes={"number": event.number, "solved": solved},
    )
    if not solved and survey.closed_state == State.CLOSED and event.state == State.CLOSED:
        note = _("The reporter says it is not solved.")
        if survey.comment:
            note += " " + survey.comment
        reopen_for_reporter(event, note)
        event.refresh_from_db()
    return survey
