"""Routing by category and area, re-routing after "not responsible", reopening, working-day deadlines across
National Day 2026 (1-7 October off; Sat 10 October a make-up working day), and supervision cards."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY
from liuguan.core.errors import InvalidInput
from liuguan.grid.models import Channel, GridEvent, Notification, State, Supervision
from liuguan.grid.selectors import supervision_by_unit
from liuguan.grid.services import events as events_module
from liuguan.grid.services import supervision as supervision_module
from liuguan.grid.services.events import (
    event_accept,
    event_close,
    event_dispose,
    event_feedback,
    event_not_responsible,
    event_reopen,
    event_report,
    event_route,
    event_start,
)
from liuguan.grid.services.supervision import supervise

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(monkeypatch):
    """Move the services' clock; starts on Wednesday 30 September 2026, the last working day before 国庆."""
    clock = {"day": dt.date(2026, 9, 30)}
    monkeypatch.setattr(events_module, "china_today", lambda: clock["day"])
    monkeypatch.setattr(supervision_module, "china_today", lambda: clock["day"])
    return clock


def _report(world, category="rental_house_safety"):
    return event_report(
        actor=world[Role.GRID_WORKER],
        category_code=category,
        description="三楼楼道电动车充电",
        grid_code=world["grid"].code,
    )


def test_a_report_before_national_day_is_due_after_the_holiday(world, today):
    event = _report(world)
    # Wed 30 Sep + 1 working day: 1-7 October are off, Thu 8 October is the next working day.
    assert (event.state, event.accept_due, event.grid, event.community_id) == (
        State.DISCOVERED,
        dt.date(2026, 10, 8),
        world["grid"],
        IN_COMMUNITY,
    )
    assert event.number.startswith("GE-202609-")
    event_route(actor=world[Role.STATION_OFFICER], event_id=event.pk)
    today["day"] = dt.date(2026, 10, 9)
    event = event_accept(actor=world[Role.STATION_OFFICER], event_id=event.pk)
    # Accepted on Fri 9 Oct, one day late; 5 working days: Sat 10 (make-up), Mon 12 ... Thu 15 October.
    assert event.accept_overdue is True
    assert event.dispose_due == dt.date(2026, 10, 15)


def test_routing_follows_the_category_office_level_or_department(world, today):
    desk = world[Role.STATION_OFFICER]
    house = event_route(actor=desk, event_id=_report(world).pk)
    assert (house.state, house.assigned_division_id, house.assigned_department_id) == (
        State.TRANSMITTED,
        IN_COMMUNITY,
        None,
    )
    dispute = event_route(actor=desk, event_id=_report(world, "dispute").pk)
    assert dispute.assigned_division_id == IN_COMMUNITY[:9]
    fire = event_route(actor=desk, event_id=_report(world, "fire_safety").pk)
    assert (fire.assigned_division_id, fire.assigned_department_id) == (None, "fire_rescue")
    # The desk may also name the unit itself.
    other = event_route(actor=desk, event_id=_report(world).pk, department_code="urban_management")
    assert other.assigned_department_id == "urban_management"


def test_not_responsible_names_who_is_and_the_event_goes_there_with_the_refusal_kept(world, today):
    desk = world[Role.STATION_OFFICER]
    event = event_route(actor=desk, event_id=_report(world, "sanitation").pk, department_code="fire_rescue")
    with pytest.raises(InvalidInput) as refused:
        event_not_responsible(actor=world["fire"], event_id=event.pk, note="不属于消防")
    assert [p.rule for p in refused.value.problems] == ["grid.name_responsible"]
    today["day"] = dt.date(2026, 10, 8)
    event = event_not_responsible(
        actor=world["fire"], event_id=event.pk, note="占道经营归城管", department_code="urban_management"
    )
    assert (event.state, event.assigned_department_id) == (State.TRANSMITTED, "urban_management")
    assert event.accept_due == dt.date(2026, 10, 9)  # a fresh day for the new unit
    steps = list(event.steps.values_list("action", "to_state", "actor_id", "note", "routed_department_id"))
    assert steps[-2] == ("not_responsible", State.NOT_RESPONSIBLE, world["fire"].pk, "占道经营归城管", None)
    assert steps[-1][:2] == ("route", State.TRANSMITTED) and steps[-1][4] == "urban_management"
    # The fire department still sees what it refused (its step), but may no longer act on it.
    from liuguan.grid.selectors import allowed_actions, event_get

    assert allowed_actions(user=world["fire"], event=event_get(user=world["fire"], event_id=event.pk)) == []


def test_the_whole_way_closed_then_reopened_and_the_reporter_told_each_step(world, today):
    desk, worker = world[Role.STATION_OFFICER], world[Role.GRID_WORKER]
    event = _report(world)
    assert event.channel == Channel.PORTAL
    event_route(actor=desk, event_id=event.pk)
    event_accept(actor=desk, event_id=event.pk)
    event_start(actor=desk, event_id=event.pk)
    event_dispose(actor=desk, event_id=event.pk, note="已清理")
    event_feedback(actor=worker, event_id=event.pk, note="现场核实已清理")
    event = event_close(actor=desk, event_id=event.pk)
    assert event.state == State.CLOSED and event.closed_at
    told = list(Notification.objects.filter(event=event).values_list("recipient", "message"))
    assert len(told) == 8  # report, route, accept, start, dispose, feedback, close, and the survey
    assert all(r == worker.username for r, _m in told)
    assert "/grid/survey/" in told[-1][1]
    event = event_reopen(actor=desk, event_id=event.pk, note="又有人充电")
    assert (event.state, event.assigned_division_id, event.closed_at, event.dispose_due) == (
        State.TRANSMITTED,
        IN_COMMUNITY,
        None,
        None,
    )
    assert list(event.steps.values_list("action", flat=True))[-2:] == ["reopen", "route"]


def test_supervision_yellow_when_overdue_then_red_to_the_level_above(world, today, settings):
    settings.LIUGUAN_GRID = {**settings.LIUGUAN_GRID, "red_after_days": 2}
    desk = world[Role.STATION_OFFICER]
    event = event_route(actor=desk, event_id=_report(world).pk)
    today["day"] = dt.date(2026, 10, 8)  # due today: not overdue yet
    assert supervise() == {"overdue": 0, "yellow": 0, "red": 0}
    today["day"] = dt.date(2026, 10, 9)
    assert supervise() == {"overdue": 1, "yellow": 1, "red": 0}
    assert supervise()["yellow"] == 0  # hourly runs issue it once
    today["day"] = dt.date(2026, 10, 10)  # the make-up Saturday is one working day
    assert supervise()["red"] == 0
    today["day"] = dt.date(2026, 10, 12)
    assert supervise()["red"] == 1
    cards = {c.card: c for c in Supervision.objects.filter(event=event)}
    assert cards["yellow"].held_division_id == IN_COMMUNITY and cards["yellow"].to_division_id == IN_COMMUNITY
    assert cards["red"].to_division_id == IN_COMMUNITY[:9]
    event.refresh_from_db()
    assert event.accept_overdue
    # Accepting settles the acceptance cards; the counts stay for the scorecards.
    event_accept(actor=desk, event_id=event.pk)
    assert not Supervision.objects.filter(event=event, resolved_at__isnull=True).exists()
    rows = supervision_by_unit(user=world[Role.COUNTY_OFFICER])
    assert rows == [
        {"kind": "office", "code": IN_COMMUNITY, "name": "东御河沿社区", "yellow": 1, "red": 1, "unsolved": 0}
    ]
    assert supervision_by_unit(user=world[Role.CITY_OFFICER].__class__(role="city_officer")) == []


def test_a_department_red_card_goes_to_the_county_of_the_event(world, today):
    event = event_route(actor=world[Role.STATION_OFFICER], event_id=_report(world, "fire_safety").pk)
    today["day"] = dt.date(2026, 10, 9)
    supervise()
    today["day"] = dt.date(2026, 10, 13)
    supervise()
    red = Supervision.objects.get(event=event, card="red")
    assert (red.held_department_id, red.to_division_id) == ("fire_rescue", IN_COMMUNITY[:6])
    assert GridEvent.objects.get(pk=event.pk).accept_overdue
