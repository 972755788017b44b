"""The trajectory panel of the person page: a timeline (one lane per place, months along) and the path.

The person page is the registry's; it asks `trajectory_panel` for one context entry and includes
`outflow/trajectory_panel.html`. The timeline is drawn by the server as CSS bars placed by percentages, so it
needs no script and reads on a phone; the path and a table say the same in text.
"""

import datetime as dt
from dataclasses import dataclass

from .selectors_trajectory import Kind, Place, Trajectory, trajectory

# At most this many labelled ticks along the time axis; months are grouped by the first step that fits.
MAX_TICKS = 6
TICK_STEPS = (1, 2, 3, 6, 12, 24, 60)


@dataclass(frozen=True)
class Bar:
    place: Place
    left: float
    width: float


@dataclass
class Lane:
    label: str
    title: str
    kind: str
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    label: str
    left: float


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _month(day: dt.date, add: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + add
    return dt.date(index // 12, index % 12 + 1, 1)


def timeline(traj: Trajectory) -> dict | None:
    """Lanes of bars and the month ticks, positions in percent of the span from the first arrival to today."""
    if not traj.places:
        return None
    first = _month(traj.start)
    last_end = max((p.end for p in traj.places if p.end), default=traj.today)
    end = _month(max(traj.today, last_end), 1)
    span = max((end - first).days, 1)

    def at(day: dt.date) -> float:
        return round(100 * (day - first).days / span, 2)

    lanes: dict[tuple[str, str], Lane] = {}
    for place in traj.places:
        key = (place.kind, place.code or place.name)
        lane = lanes.get(key)
        if lane is None:
            lane = lanes[key] = Lane(label=place.short, title=place.name, kind=place.kind, bars=[])
        stop = place.end or traj.today
        left = at(place.start)
        lane.bars.append(Bar(place=place, left=left, width=max(round(at(stop) - left, 2), 0.8)))
    months = _months_between(first, end)
    step = next((s for s in TICK_STEPS if months / s <= MAX_TICKS), TICK_STEPS[-1])
    ticks = []
    for n in range(months):
        day = _month(first, n)
        # Ticks fall on calendar boundaries: every January (every second, fifth) or every step-th month.
        aligned = day.month == 1 and day.year % (step // 12) == 0 if step >= 12 else (day.month - 1) % step == 0
        if aligned:
            ticks.append(Tick(label=f"{day:%Y}" if step >= 12 else f"{day:%Y-%m}", left=at(day)))
    return {
        "lanes": list(lanes.values()),
        "ticks": ticks,
        "today": at(traj.today),
        "start": first,
        "end": traj.today,
    }


def trajectory_panel(*, user, person) -> dict | None:
    """For the registry's person page: the trajectory and its timeline, or None for roles that may not see it."""
    if not user.can("trajectory.view"):
        return None
    traj = trajectory(user=user, person=person)
    return {"trajectory": traj, "timeline": timeline(traj), "kinds": Kind}
