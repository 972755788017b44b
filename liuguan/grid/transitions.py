"""The grid event's state machine, written once as data: the services enforce it, the pages offer what it allows.

Who may take each step:
- `desk`: a station or street officer (grid.route) whose jurisdiction holds the event;
- `unit`: someone of the unit the event is with now (grid.dispose): the office of that division, or the department;
- `field`: a grid worker or desk officer (grid.report) whose jurisdiction holds the event (the check on the spot).

"Not responsible" and "reopened" are states the event passes through: the refusal (with its author and the unit
named instead) or the reopening is a step of its own, and the event is routed on at once, back to transmitted.
"""

from dataclasses import dataclass

from .models import State


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    permission: str
    who: str  # desk | unit | field


TABLE: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "route",
            (State.DISCOVERED, State.TRANSMITTED, State.NOT_RESPONSIBLE, State.REOPENED),
            State.TRANSMITTED,
            "grid.route",
            "desk",
        ),
        Transition("accept", (State.TRANSMITTED,), State.ACCEPTED, "grid.dispose", "unit"),
        Transition(
            "not_responsible", (State.TRANSMITTED, State.ACCEPTED), State.NOT_RESPONSIBLE, "grid.dispose", "unit"
        ),
        Transition("start", (State.ACCEPTED,), State.IN_PROGRESS, "grid.dispose", "unit"),
        Transition("dispose", (State.IN_PROGRESS,), State.DISPOSED, "grid.dispose", "unit"),
        Transition("feedback", (State.DISPOSED,), State.FED_BACK, "grid.report", "field"),
        Transition("close", (State.FED_BACK,), State.CLOSED, "grid.route", "desk"),
        Transition(
            "close_not_fixed",
            (State.ACCEPTED, State.IN_PROGRESS, State.DISPOSED, State.FED_BACK),
            State.CLOSED_NOT_FIXED,
            "grid.route",
            "desk",
        ),
        Transition("reopen", (State.CLOSED, State.CLOSED_NOT_FIXED), State.REOPENED, "grid.route", "desk"),
    )
}

# The states a person ever sees an event resting in (the transient ones are passed through at once).
RESTING = tuple(s for s in State if s not in (State.NOT_RESPONSIBLE, State.REOPENED))


def allowed_from(state: str) -> list[str]:
    """The actions the table allows from a state, whoever asks."""
    return [t.action for t in TABLE.values() if state in t.sources]


def pairs() -> list[tuple[str, str, bool]]:
    """Every (state, action) pair with whether the table allows it: the tests walk all of them."""
    return [(state, action, state in t.sources) for state in State for action, t in TABLE.items()]
