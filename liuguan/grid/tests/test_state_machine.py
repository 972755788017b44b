"""The transition table, walked in full: every (state, action) pair is either taken to its target by someone
allowed to, or refused with a named rule and nothing changed."""

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import InvalidInput, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.grid.models import GridEvent, GridEventStep, State
from liuguan.grid.services.events import event_act
from liuguan.grid.transitions import TABLE, pairs

from .world import event_in

pytestmark = pytest.mark.django_db

# Who takes each kind of step in the fixture world: the station officer is the desk and, for events routed to
# its community's station, the unit; the grid worker checks on the spot.
ACTOR = {"desk": Role.STATION_OFFICER, "unit": Role.STATION_OFFICER, "field": Role.GRID_WORKER}
# Where each step leaves the event (not responsible and reopen pass straight on to transmitted).
LANDS = {"not_responsible": State.TRANSMITTED, "reopen": State.TRANSMITTED}


def _snapshot(event):
    event.refresh_from_db()
    return (event.state, event.assigned_division_id, GridEventStep.objects.count(), AuditEvent.objects.count())


@pytest.mark.parametrize(("state", "action", "allowed"), pairs(), ids=[f"{s}-{a}" for s, a, _ in pairs()])
def test_every_pair_of_state_and_action(world, state, action, allowed):
    event = event_in(state)
    actor = world[ACTOR[TABLE[action].who]]
    before = _snapshot(event)
    extra = {"office_level": "township"} if action == "not_responsible" else {}
    if not allowed:
        with pytest.raises(InvalidInput) as refused:
            event_act(actor=actor, event_id=event.pk, action=action, note="说明", **extra)
        assert [p.rule for p in refused.value.problems] == ["grid.transition"]
        assert _snapshot(event) == before
        return
    event_act(actor=actor, event_id=event.pk, action=action, note="说明", **extra)
    event.refresh_from_db()
    assert event.state == LANDS.get(action, TABLE[action].target)
    steps = list(event.steps.values_list("action", "from_state", "to_state"))
    assert steps[0] == (action, state, TABLE[action].target)
    assert AuditEvent.objects.filter(action=f"grid_event.{action}", object_id=str(event.pk)).exists()


@pytest.mark.parametrize("action", [a for a, t in TABLE.items() if t.who == "unit"])
def test_a_unit_step_by_someone_outside_the_unit_is_refused(world, action):
    # The street officer sees the event but the community's station has it.
    source = TABLE[action].sources[0]
    event = event_in(source)
    before = _snapshot(event)
    with pytest.raises(PermissionDenied):
        event_act(actor=world[Role.STREET_OFFICER], event_id=event.pk, action=action, note="x", office_level="county")
    assert _snapshot(event) == before


@pytest.mark.parametrize(
    ("role", "action"), [(Role.GRID_WORKER, "route"), (Role.GRID_WORKER, "close"), (Role.CITY_OFFICER, "feedback")]
)
def test_a_role_without_the_permission_is_refused(world, role, action):
    event = event_in(TABLE[action].sources[0])
    before = _snapshot(event)
    with pytest.raises(PermissionDenied):
        event_act(actor=world[role], event_id=event.pk, action=action, note="x")
    assert _snapshot(event) == before


def test_a_department_disposes_what_was_routed_to_it_and_nothing_else(world):
    fire = world["fire"]
    ours = event_in(State.TRANSMITTED, category="fire_safety", department="fire_rescue")
    other = event_in(State.TRANSMITTED, category="sanitation", department="urban_management")
    event_act(actor=fire, event_id=ours.pk, action="accept")
    assert GridEvent.objects.get(pk=ours.pk).state == State.ACCEPTED
    from liuguan.core.errors import NotFound

    with pytest.raises(NotFound):
        event_act(actor=fire, event_id=other.pk, action="accept")
    assert GridEvent.objects.get(pk=other.pk).state == State.TRANSMITTED
