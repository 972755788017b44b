"""Reads of grid management, always through the user's scope: grids and their people, events, supervision."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped, within
from liuguan.geo.models import Grid
from liuguan.registry.models import Employer, House, Person, Stay

from .models import CLOSED_STATES, EventCategory, GridEvent, Stage, State, Supervision, Survey
from .services.events import can_take
from .transitions import TABLE

OPEN = Q(~Q(state__in=CLOSED_STATES))


def overdue_q(today: dt.date) -> Q:
    """Open events whose running stage is past its deadline."""
    return Q(state__in=(State.DISCOVERED, State.TRANSMITTED), accept_due__lt=today) | Q(
        state__in=(State.ACCEPTED, State.IN_PROGRESS), dispose_due__lt=today
    )


# -- grids -------------------------------------------------------------------------------------------------------


def grid_get(*, user, code: str) -> Grid:
    grid = scoped(Grid.objects.select_related("community", "worker", "deputy"), user).filter(code=code).first()
    if grid is None:
        raise NotFound()
    return grid


def grid_list(*, user):
    return scoped(Grid.objects.select_related("community", "worker", "deputy"), user).order_by("code")


@dataclass
class GridPage:
    grid: Grid
    houses: list
    employers: list
    stays: list
    party_members: list
    events: list


def grid_page(*, user, grid: Grid, limit: int = 200) -> GridPage:
    """What a grid holds: houses, employers, people living there now (masked), migrant Party members, open events.

    Registry rows show only to roles that may read the registry.
    """
    houses = employers = stays = party = []
    if user.can("place.view"):
        houses = list(scoped(House.objects.filter(grid=grid), user).order_by("address")[:limit])
        employers = list(scoped(Employer.objects.filter(grid=grid), user).order_by("name")[:limit])
    if user.can("person.view"):
        stays = list(
            scoped(Stay.objects.filter(grid=grid, departed_on__isnull=True), user)
            .select_related("person", "house")
            .order_by("person__name_pinyin")[:limit]
        )
        party = list(
            scoped(Person.objects.filter(party_member=True, stays__grid=grid, stays__departed_on__isnull=True), user)
            .distinct()
            .order_by("name_pinyin")[:limit]
        )
    events = list(
        scoped(GridEvent.objects.filter(grid=grid).filter(OPEN), user).select_related("category").order_by("-id")[:50]
    )
    return GridPage(grid, houses, employers, stays, party, events)


# -- events ------------------------------------------------------------------------------------------------------


def event_get(*, user, event_id: int) -> GridEvent:
    event = (
        scoped(GridEvent.objects.select_related("category", "grid", "community", "house", "person"), user)
        .select_related("assigned_division", "assigned_department", "reporter")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        raise NotFound()
    return event


def event_steps(*, event: GridEvent):
    return event.steps.select_related("actor", "routed_division", "routed_department").order_by("at", "id")


def event_supervisions(*, event: GridEvent):
    return event.supervisions.select_related("held_division", "held_department", "to_division").order_by("issued_at")


def allowed_actions(*, user, event: GridEvent) -> list[str]:
    """The actions this user may take on this event now, in the table's order."""
    return [action for action in TABLE if can_take(user, event, action)]


def event_list(
    *,
    user,
    state: str = "",
    overdue: bool = False,
    mine: bool = False,
    category: str = "",
    grid_code: str = "",
    today: dt.date | None = None,
    limit: int = 200,
):
    """Events in scope, newest first. `mine`: a grid worker's grids and own reports, a unit's events with it now."""
    qs = scoped(GridEvent.objects.select_related("category", "grid", "assigned_division", "assigned_department"), user)
    if state == "open":
        qs = qs.filter(OPEN)
    elif state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(overdue_q(today or china_today()))
    if category:
        qs = qs.filter(category_id=category)
    if grid_code:
        qs = qs.filter(grid__code=grid_code)
    if mine:
        if user.department_id:
            qs = qs.filter(assigned_department_id=user.department_id)
        elif user.can("grid.dispose") or user.can("grid.route"):
            qs = qs.filter(Q(assigned_division_id=user.division_id) | Q(state=State.DISCOVERED))
        else:
            qs = qs.filter(Q(grid__worker=user) | Q(grid__deputy=user) | Q(reporter=user))
    return list(qs.order_by("-created_at", "-id")[:limit])


def department_list():
    from liuguan.exchange.models import Department

    return Department.objects.order_by("code")


def public_requests():
    """Events that are Open311 service requests: those of public categories (rules' events stay inside)."""
    return GridEvent.objects.filter(category__public=True).select_related(
        "category", "assigned_division", "assigned_department"
    )


def public_service(code: str) -> EventCategory | None:
    return EventCategory.objects.filter(pk=code, public=True, active=True).first()


def category_list(*, public_only: bool = False):
    qs = EventCategory.objects.filter(active=True)
    return qs.filter(public=True) if public_only else qs


def surveys_waiting(*, user, limit: int = 50) -> list[Survey]:
    """The questions "is it solved?" about the user's own reports that they have not answered yet (one query)."""
    from django.utils import timezone

    return list(
        Survey.objects.filter(event__reporter=user, answered_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("event__category", "event__house", "event__grid", "event__person")
        .order_by("expires_at", "id")[:limit]
    )


# -- joint cases -------------------------------------------------------------------------------------------------


def joint_parts(*, user, event: GridEvent) -> list:
    """A joint case's parts, each unit's progress, with what this user may do on each (one query)."""
    from .models_joint import JointPart
    from .services.joint import part_actions

    if not event.joint:
        return []
    parts = list(
        JointPart.objects.filter(case=event)
        .select_related("department", "division")
        .prefetch_related("steps")
        .order_by("id")
    )
    for part in parts:
        part.actions = part_actions(user, part)
    return parts


def joint_plan_list(*, user, limit: int = 200) -> list:
    from .models_joint import JointPlan

    return list(
        scoped(JointPlan.objects.select_related("category", "community", "grid", "last_case"), user).order_by(
            "next_run", "id"
        )[:limit]
    )


def can_split(*, user, event: GridEvent) -> bool:
    from .services.joint import JOINABLE

    return not event.joint and event.state in JOINABLE and user.can("grid.route")


# -- supervision -------------------------------------------------------------------------------------------------


def supervision_list(*, user, open_only: bool = False, limit: int = 300):
    qs = scoped(Supervision.objects.select_related("event", "held_division", "held_department", "to_division"), user)
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return list(qs.order_by("-issued_at", "-id")[:limit])


@dataclass(frozen=True)
class CardCounts:
    """Supervision cards issued in a period on the events of an area (or of the whole area: the sum)."""

    yellow: int = 0
    red: int = 0


def cards_by_area(*, user, parent: str, length: int, start: dt.date, end: dt.date) -> dict[str, CardCounts]:
    """Cards issued from `start` to `end` on events inside each sub-area of `parent` (the event's community cut
    to `length` digits), whoever held them: for the scorecards, which rank areas, not units.
    """
    rows = (
        scoped(Supervision.objects.all(), user)
        .filter(within("community_id", parent), issued_on__gte=start, issued_on__lte=end)
        .values_list("community_id", "card")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"yellow": 0, "red": 0})
    for community, card, n in rows:
        counts[community[:length]][card] += n
    return {key: CardCounts(**c) for key, c in counts.items()}


def supervision_by_unit(*, user, since: dt.date | None = None, until: dt.date | None = None) -> list[dict]:
    """Cards per unit that missed a deadline, and reporters' "not solved" on its not-fixed closings, in scope.

    For the scorecards: one row per office (division code) or department, with yellow and red cards counted.
    """
    cards = scoped(Supervision.objects.all(), user)
    if since:
        cards = cards.filter(issued_on__gte=since)
    if until:
        cards = cards.filter(issued_on__lte=until)
    rows: dict[tuple, dict] = defaultdict(lambda: {"yellow": 0, "red": 0, "unsolved": 0})
    for division, department, card, count in (
        cards.values_list("held_division_id", "held_department_id", "card").annotate(n=Count("id")).order_by()
    ):
        rows[(division, department)][card] += count
    surveys = Survey.objects.filter(
        solved=False,
        closed_state=State.CLOSED_NOT_FIXED,
        event__in=scoped(GridEvent.objects.all(), user).values("pk"),
    )
    if since:
        surveys = surveys.filter(answered_at__date__gte=since)
    if until:
        surveys = surveys.filter(answered_at__date__lte=until)
    for division, department, count in (
        surveys.values_list("disposed_division_id", "disposed_department_id").annotate(n=Count("id")).order_by()
    ):
        rows[(division, department)]["unsolved"] += count
    names = _unit_names(rows)
    return sorted(
        (
            {
                "kind": "department" if department else "office",
                "code": department or division or "",
                "name": names.get(department or division, ""),
                **counts,
            }
            for (division, department), counts in rows.items()
        ),
        key=lambda r: (-r["red"], -r["yellow"], r["code"]),
    )


def _unit_names(rows) -> dict[str, str]:
    from liuguan.exchange.models import Department
    from liuguan.geo.models import Division

    divisions = {d for d, _ in rows if d}
    departments = {p for _, p in rows if p}
    names = dict(Division.objects.filter(pk__in=divisions).values_list("code", "name"))
    names.update(Department.objects.filter(pk__in=departments).values_list("code", "name"))
    return names


STAGES = list(Stage)
