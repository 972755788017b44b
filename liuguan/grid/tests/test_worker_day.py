"""A worker's day: one list from five sources, by deadline with the overdue first, each item with its place, the
person masked and a link to act; one query per source whatever the number of items; nothing of anyone else's."""

import datetime as dt

import pytest
from django.utils.translation import gettext

from liuguan.accounts.roles import Role
from liuguan.compliance.models import ClassificationRule, PersonTier
from liuguan.conftest import IN_COMMUNITY, login
from liuguan.grid.models import State
from liuguan.grid.selectors_day import days_left, worker_day
from liuguan.oversight.models import FeedbackTask, SpotCheck, SpotCheckRound, Sweep, SweepTask

from .world import event_in

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 9, 28)  # a Monday; 1-7 October are the National Day holidays, 10 October a make-up day
DISPOSED_AT = dt.datetime(2026, 9, 30, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _day(world, person_in, person_out, *, events: int = 1):
    worker = world[Role.GRID_WORKER]
    stay = person_in.stays.get()
    stay.grid, stay.house = world["grid"], world["house"]
    stay.verified_on = TODAY - dt.timedelta(days=100)  # ordinary tier, every 90 days: 10 days overdue
    stay.save()
    rule = ClassificationRule.objects.create(
        prefix="51", position=1, tier="ordinary", label="一般", conditions={}, reverify_days=90
    )
    PersonTier.objects.create(person=person_in, tier="ordinary", rule=rule, rule_label="一般", reverify_days=90)
    for _ in range(events):
        event = event_in(State.DISPOSED, grid=world["grid"], reporter=worker)
        event.person, event.updated_at = person_in, DISPOSED_AT
        event.save()
    event_in(State.DISPOSED, grid=world["far_grid"], community="500101001001")  # not theirs
    event_in(State.TRANSMITTED, grid=world["grid"])  # the station's step, not the worker's
    sweep = Sweep.objects.create(
        number="SW-1", name="国庆前清理", division_id="510104", starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=2)
    )
    SweepTask.objects.create(
        sweep=sweep, house=world["house"], community_id=IN_COMMUNITY, grid=world["grid"], worker=worker
    )
    spot_round = SpotCheckRound.objects.create(
        number="SC-1",
        division_id="510104",
        period_start=TODAY - dt.timedelta(days=60),
        period_end=TODAY,
        sample_size=5,
        seed=1,
        due_on=TODAY + dt.timedelta(days=14),
    )
    SpotCheck.objects.create(round=spot_round, stay=stay, person=person_in, community_id=IN_COMMUNITY, verifier=worker)
    FeedbackTask.objects.create(
        number="FB-1",
        community_id=IN_COMMUNITY,
        object_type="registry.person",
        object_id=person_in.pk,
        field="phone",
        person=person_in,
        stay=stay,
        origin="officer",
        assignee=worker,
        due_on=TODAY - dt.timedelta(days=1),
    )
    FeedbackTask.objects.create(  # someone else's
        number="FB-2",
        community_id=IN_COMMUNITY,
        object_type="registry.person",
        object_id=person_in.pk,
        field="phone",
        person=person_in,
        origin="officer",
        assignee=world[Role.STATION_OFFICER],
        due_on=TODAY,
    )
    return worker


def test_one_list_by_deadline_overdue_first_with_place_masked_person_and_link(world, person_in, person_out):
    worker = _day(world, person_in, person_out)
    items = worker_day(user=worker, today=TODAY)
    assert [i.kind for i in items] == ["reverify", "feedback", "sweep", "event", "spot_check"]
    reverify, feedback, sweep, event, check = items
    assert (reverify.overdue, reverify.due, reverify.stay_id) == (
        True,
        TODAY - dt.timedelta(days=10),
        person_in.stays.get().pk,
    )
    assert (feedback.overdue, feedback.days_left) == (True, -1)
    assert (sweep.overdue, sweep.days_left, sweep.address) == (False, 2, "东御河沿街 8 号")
    # The check on the spot after a disposal is due the category's acceptance days later, across the holiday.
    assert event.what.startswith(gettext("Check on the spot and feed back")) and event.url.startswith("/grid/events/")
    assert (event.due, event.days_left) == (dt.date(2026, 10, 8), 3)
    assert check.due == TODAY + dt.timedelta(days=14) and check.days_left == 6  # 29, 30 Sep, 8, 9, 10, 12 Oct
    assert all(i.person.startswith("张*") and "*" in i.person.split()[1] for i in (reverify, feedback, event, check))
    assert all("张三" not in i.person for i in items)
    # The station officer sees the event waiting at the station, not the worker's list.
    desk = worker_day(user=world[Role.STATION_OFFICER], today=TODAY)
    assert any(i.kind == "event" and i.what.startswith(gettext("Accept")) for i in desk)
    feedback_task = gettext("Feedback task: %(field)s") % {"field": ""}
    assert any(i.kind == "feedback" and i.what.startswith(feedback_task) for i in desk)
    assert not {i.kind for i in desk} & {"sweep", "spot_check"}


def test_one_query_per_source_whatever_the_number_of_items(world, person_in, person_out, django_assert_max_num_queries):
    worker = _day(world, person_in, person_out, events=6)
    # events, sweeps, spot checks, feedback tasks, the tiers' intervals, the stays due and surveys: seven.
    with django_assert_max_num_queries(7):
        items = worker_day(user=worker, today=TODAY)
    assert sum(1 for i in items if i.kind == "event") == 6


def test_working_days_left_across_the_national_day_holiday():
    assert days_left(dt.date(2026, 10, 9), TODAY) == 4  # 29, 30 Sep, 8 and 9 Oct
    assert days_left(TODAY, TODAY) == 0
    assert days_left(dt.date(2026, 9, 25), TODAY) == -1  # Friday before: one working day late


def test_page_and_json_list_the_day_and_a_reverification_is_confirmed_from_it(
    world, person_in, person_out, monkeypatch
):
    monkeypatch.setattr("liuguan.grid.selectors_day.china_today", lambda: TODAY)
    monkeypatch.setattr("liuguan.registry.services.corrections.china_today", lambda: TODAY)
    worker = _day(world, person_in, person_out)
    client = login(worker)
    page = client.get("/grid/today/")
    body = page.content.decode()
    assert page.status_code == 200 and body.count("data-kind=") == 5 and "张三" not in body
    assert body.count('data-overdue="1"') == 2
    api = client.get("/api/grid/today")
    assert api.status_code == 200 and [r["kind"] for r in api.json()][:2] == ["reverify", "feedback"]
    stay = person_in.stays.get()
    client.post(f"/grid/today/verify/{stay.pk}/")
    stay.refresh_from_db()
    assert stay.verified_on == TODAY
    assert "reverify" not in [i.kind for i in worker_day(user=worker, today=TODAY)]
    # Another grid's worker cannot verify this stay: it does not exist for them.
    far = login(world["fire"])
    assert far.post(f"/grid/today/verify/{stay.pk}/").status_code in (403, 404)
