"""The legal aid request's state machine, written once as data: the services enforce it, the pages offer it.

Who may take each step (all need `legalaid.handle`):
- `unit`: an officer whose jurisdiction holds the division of the unit the request is with now;
- `area`: an officer whose jurisdiction holds the request's community (referring by hand, closing a request
  that no unit is left to take).

Opening refers the request at once; a unit's decline is a step of its own and the request is referred on
upward at once when a unit above is left, so "declined" rests only when the city's centre itself declined.
"""

from dataclasses import dataclass

from .models import Status


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    who: str  # unit | area


TABLE: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("refer", (Status.OPENED, Status.DECLINED), Status.REFERRED, "area"),
        Transition("accept", (Status.REFERRED,), Status.ACCEPTED, "unit"),
        Transition("decline", (Status.REFERRED,), Status.DECLINED, "unit"),
        Transition("handle", (Status.ACCEPTED,), Status.HANDLED, "unit"),
        Transition("close", (Status.HANDLED,), Status.CLOSED, "unit"),
        Transition("close_unplaced", (Status.OPENED, Status.DECLINED), Status.CLOSED, "area"),
    )
}

# Actions people take on a page; "refer" is also taken by the system on opening and after a decline.
ACTIONS = tuple(TABLE)


def pairs() -> list[tuple[str, str, bool]]:
    """Every (status, action) pair with whether the table allows it: the tests walk all of them."""
    return [(status, action, status in t.sources) for status in Status for action, t in TABLE.items()]
