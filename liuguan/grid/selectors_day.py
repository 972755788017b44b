"""A worker's day (part 5): everything waiting on one field worker or desk officer today, in one list by deadline.

Each source is read through its own app's selector (one query each, related rows joined, never one per item):
grid events awaiting this user's step, verification-sweep houses, spot checks to verify, feedback tasks with
them, people whose tier's re-verification falls due within a week, and the "is it solved?" questions about
their own reports. Deadlines count in working days.

Two deadlines are derived, as no record holds them: the check on the spot after a disposal, and closing after
the feedback, are due the category's acceptance days after the step that asked for them; a re-verification is
due the tier's interval after the stay was last verified (see compliance.selectors.reverifications_due).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.accounts.roles import FIELD, Role
from liuguan.compliance.selectors import reverifications_due
from liuguan.core.identity import china_today, mask_name
from liuguan.core.scoping import scoped
from liuguan.core.workdays import add_working_days, working_days_between
from liuguan.oversight.selectors_checks import checks_to_verify, tasks_with_me
from liuguan.oversight.selectors_sweeps import my_sweep_tasks

from .models import GridEvent, State
from .selectors import surveys_waiting
from .services.events import can_take

REVERIFY_HORIZON_DAYS = 7
PER_SOURCE = 200


@dataclass
class DayItem:
    kind: str  # event | sweep | spot_check | feedback | reverify | survey
    what: str
    detail: str
    due: dt.date | None
    days_left: int | None  # working days from today to the deadline; negative once overdue
    address: str
    person: str  # masked name and document number
    url: str
    stay_id: int | None = None  # a re-verification can be confirmed from the list

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.overdue else 0


def days_left(due: dt.date | None, today: dt.date) -> int | None:
    """Working days from today to the deadline: 0 on the day, negative once it has passed."""
    if due is None:
        return None
    if due >= today:
        return working_days_between(today, due)
    return -max(1, working_days_between(due, today))


def _masked(person) -> str:
    if person is None:
        return ""
    return f"{mask_name(person.name)} {person.doc_number_masked}"


# -- grid events -------------------------------------------------------------------------------------------------

# What a user is asked to do with an event resting in each state.
NEXT_STEP = {
    State.DISCOVERED: "route",
    State.TRANSMITTED: "accept",
    State.ACCEPTED: "start",
    State.IN_PROGRESS: "dispose",
    State.DISPOSED: "feedback",
    State.FED_BACK: "close",
}


def _step_label(action: str) -> str:
    return {
        "route": _("Route"),
        "accept": _("Accept"),
        "start": _("Start work"),
        "dispose": _("Dispose"),
        "feedback": _("Check on the spot and feed back"),
        "close": _("Close"),
    }[action]


def _waiting_q(user) -> Q:
    """Events that wait on a step this user may take: the unit's, the desk's, or the grid worker's check."""
    q = Q(pk__in=[])
    working = (State.TRANSMITTED, State.ACCEPTED, State.IN_PROGRESS)
    if user.role == Role.DEPARTMENT_USER and user.department_id:
        q |= Q(assigned_department_id=user.department_id, state__in=working)
    elif user.can("grid.dispose") and user.division_id:
        q |= Q(assigned_division_id=user.division_id, state__in=working)
    if user.can("grid.route"):
        q |= Q(state__in=(State.DISCOVERED, State.FED_BACK))
        # Disposed events with no grid worker to check them fall to the desk.
        q |= Q(state=State.DISPOSED) & (Q(grid__isnull=True) | Q(grid__worker__isnull=True))
    if user.role in FIELD:
        q |= Q(state=State.DISPOSED) & (Q(grid__worker=user) | Q(grid__deputy=user) | Q(reporter=user))
    return q


def event_due(event: GridEvent) -> dt.date | None:
    """The deadline of the step the event waits for (derived for the check on the spot and for closing)."""
    if event.state in (State.DISPOSED, State.FED_BACK):
        return add_working_days(timezone.localdate(event.updated_at), event.category.accept_days)
    return event.due


def _event_address(event: GridEvent) -> str:
    if event.address:
        return event.address
    return event.house.address if event.house_id else (event.grid.name if event.grid_id else "")


def _events(user, today: dt.date) -> list[DayItem]:
    qs = (
        scoped(GridEvent.objects.filter(_waiting_q(user)), user)
        .select_related("category", "grid", "house", "person")
        .order_by("id")[:PER_SOURCE]
    )
    items = []
    for event in qs:
        action = NEXT_STEP.get(event.state)
        if action is None or not can_take(user, event, action):
            continue
        due = event_due(event)
        items.append(
            DayItem(
                kind="event",
                what=f"{_step_label(action)}: {event.category.name}",
                detail=f"{event.number} · {event.description[:60]}",
                due=due,
                days_left=days_left(due, today),
                address=_event_address(event),
                person=_masked(event.person),
                url=reverse("grid:event", args=[event.pk]),
            )
        )
    return items


# -- the other sources -------------------------------------------------------------------------------------------


def _sweeps(user, today: dt.date) -> list[DayItem]:
    if not user.can("sweep.work"):
        return []
    return [
        DayItem(
            kind="sweep",
            what=_("Verification sweep: visit the house"),
            detail=task.sweep.name,
            due=task.sweep.ends_on,
            days_left=days_left(task.sweep.ends_on, today),
            address=task.house.address,
            person=_("%(count)s registered") % {"count": task.stays_expected},
            url=reverse("oversight:sweep_task", args=[task.pk]),
        )
        for task in my_sweep_tasks(user=user, include_done=False)[:PER_SOURCE]
    ]


def _stay_address(stay) -> str:
    if stay is None:
        return ""
    return stay.address or (stay.house.address if stay.house_id else "")


def _checks(user, today: dt.date) -> list[DayItem]:
    if not user.can("spotcheck.verify"):
        return []
    return [
        DayItem(
            kind="spot_check",
            what=_("Spot check: verify the record"),
            detail=check.round.number,
            due=check.round.due_on,
            days_left=days_left(check.round.due_on, today),
            address=_stay_address(check.stay),
            person=_masked(check.person),
            url=reverse("oversight:spotcheck", args=[check.pk]),
        )
        for check in checks_to_verify(user=user, limit=PER_SOURCE)
    ]


def _feedback(user, today: dt.date) -> list[DayItem]:
    if not user.can("feedback.work"):
        return []
    return [
        DayItem(
            kind="feedback",
            what=_("Feedback task: %(field)s") % {"field": task.field_label},
            detail=f"{task.number} · {task.get_status_display()}",
            due=task.due_on,
            days_left=days_left(task.due_on, today),
            address=_stay_address(task.stay),
            person=_masked(task.person),
            url=reverse("oversight:feedback_task", args=[task.pk]),
        )
        for task in tasks_with_me(user=user, limit=PER_SOURCE)
    ]


def _reverify_where(user) -> Q | None:
    """Whose re-verifications are this user's: a grid's worker and deputy; a collector's own registrations
    outside any grid worker's care; for the desk, the stays no grid worker looks after.
    """
    unattended = Q(grid__isnull=True) | Q(grid__worker__isnull=True)
    if user.role in FIELD:
        return Q(grid__worker=user) | Q(grid__deputy=user) | (Q(collector=user) & unattended)
    if user.can("grid.route"):
        return unattended
    return None


def _reverifications(user, today: dt.date) -> list[DayItem]:
    where = _reverify_where(user)
    if where is None or not user.can("person.register"):
        return []
    return [
        DayItem(
            kind="reverify",
            what=_("Re-verify (%(tier)s)") % {"tier": stay.person.tier.get_tier_display()},
            detail=_("every %(days)s days; last verified %(on)s")
            % {"days": stay.person.tier.reverify_days, "on": stay.verified_on or "—"},
            due=stay.reverify_due,
            days_left=days_left(stay.reverify_due, today),
            address=_stay_address(stay),
            person=_masked(stay.person),
            url=reverse("registry:person_detail", args=[stay.person_id]),
            stay_id=stay.pk,
        )
        for stay in reverifications_due(
            user=user, where=where, today=today, horizon_days=REVERIFY_HORIZON_DAYS, limit=PER_SOURCE
        )
    ]


def _surveys(user, today: dt.date) -> list[DayItem]:
    items = []
    for survey in surveys_waiting(user=user):
        due = timezone.localdate(survey.expires_at)
        items.append(
            DayItem(
                kind="survey",
                what=_("Is it solved? Your report %(number)s") % {"number": survey.event.number},
                detail=survey.event.category.name,
                due=due,
                days_left=days_left(due, today),
                address=_event_address(survey.event),
                person=_masked(survey.event.person),
                url=reverse("grid:survey", args=[survey.token]),
            )
        )
    return items


SOURCES = (_events, _sweeps, _checks, _feedback, _reverifications, _surveys)


def worker_day(*, user, today: dt.date | None = None) -> list[DayItem]:
    """Everything waiting on the user, by deadline: overdue first, then the nearest; items without one last."""
    today = today or china_today()
    items = [item for source in SOURCES for item in source(user, today)]
    far = dt.date.max
    return sorted(items, key=lambda i: (i.due or far, i.kind, i.url))
