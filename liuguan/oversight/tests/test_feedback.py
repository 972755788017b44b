"""Feedback tasks (倒查、反馈): back to whoever set the field, fixed or disputed, escalated when overdue.

Deadlines are counted in working days. The escalation case runs through National Day 2025: 1-8 October were
holidays, and Sunday 28 September and Saturday 11 October were make-up working days.
"""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.oversight.models import FeedbackEvent, FeedbackTask, SpotCheck
from liuguan.oversight.services import feedback
from liuguan.oversight.services.feedback import (
    dispute_decide,
    feedback_escalate,
    task_dispute,
    task_fix,
    task_open,
)
from liuguan.oversight.services.spotchecks import check_record, round_create
from liuguan.registry.models import FieldChange

from .test_spotchecks_world import EAST, SEPTEMBER, build, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users):
    return build(users)


@pytest.fixture
def on_26_september(monkeypatch):
    """Friday 26 September 2025, two days before the make-up Sunday and the National Day week."""
    monkeypatch.setattr(feedback, "china_today", lambda: dt.date(2025, 9, 26))


def _open(world, stay=None, field="ethnicity", found="07", actor=None, note="民族登记错误"):
    stay = stay or world["stays"]["c1"][3]
    return task_open(
        actor=actor or world[Role.STATION_OFFICER],
        object_type="registry.person",
        object_id=stay.person_id,
        field=field,
        found_value=found,
        note=note,
    )


def test_a_task_goes_to_the_collector_who_set_the_field_due_in_five_working_days(world, on_26_september):
    task = _open(world)
    # Fri 26 Sep + 5 working days: Sun 28 (make-up), Mon 29, Tue 30, [1-8 Oct off], Thu 9, Fri 10 October.
    assert task.due_on == dt.date(2025, 10, 10)
    assert (task.assignee, task.collector, task.level) == (world["c1"], world["c1"], FeedbackTask.Level.COLLECTOR)
    assert (task.recorded_value, task.found_value, task.origin) == ("01", "07", "officer")
    assert task.number.startswith("FB-202509-")
    assert list(task.events.values_list("action", "assignee_id")) == [("opened", world["c1"].pk)]
    assert AuditEvent.objects.filter(action="feedback.open", object_id=str(task.pk)).exists()


def test_a_field_with_no_known_setter_goes_straight_to_the_station_officer(world):
    declared = register(None, EAST, channel="self")
    task = _open(world, stay=declared)
    assert task.collector is None
    assert (task.assignee, task.level) == (world[Role.STATION_OFFICER], FeedbackTask.Level.STATION)


def test_opening_checks_the_value_the_note_and_doubles(world):
    with pytest.raises(InvalidInput) as exc:
        _open(world, found="99x", note="")
    assert {p.field for p in exc.value.problems} == {"found_value", "note"}
    with pytest.raises(InvalidInput):
        _open(world, found="01")  # what the record already holds
    with pytest.raises(PermissionDenied):
        _open(world, actor=world["c2"])
    _open(world)
    with pytest.raises(Conflict):
        _open(world, found="04")
    assert FeedbackTask.objects.count() == 1


def test_overdue_tasks_climb_to_the_station_then_the_street_across_the_holiday(world, on_26_september):
    task = _open(world)
    assert feedback_escalate(dt.date(2025, 10, 10)) == 0  # due today: not late yet
    assert feedback_escalate(dt.date(2025, 10, 11)) == 1
    task.refresh_from_db()
    # The station officer has 3 working days from the deadline: Sat 11 (make-up), Mon 13, Tue 14 October.
    assert (task.assignee, task.level, task.due_on) == (
        world[Role.STATION_OFFICER],
        FeedbackTask.Level.STATION,
        dt.date(2025, 10, 14),
    )
    assert feedback_escalate(dt.date(2025, 10, 11)) == 0  # idempotent: the hourly job runs again
    assert feedback_escalate(dt.date(2025, 10, 14)) == 0
    assert feedback_escalate(dt.date(2025, 10, 15)) == 1
    task.refresh_from_db()
    assert (task.assignee, task.level) == (world[Role.STREET_OFFICER], FeedbackTask.Level.STREET)
    assert feedback_escalate(dt.date(2025, 11, 30)) == 0  # the street officer is the last step
    assert list(task.events.values_list("action", flat=True)) == ["opened", "escalated", "escalated"]
    assert AuditEvent.objects.filter(action="feedback.escalate", object_id=str(task.pk)).count() == 2


def test_a_missed_week_of_runs_catches_up_in_one(world, on_26_september):
    task = _open(world)
    assert feedback_escalate(dt.date(2025, 10, 20)) == 2
    task.refresh_from_db()
    assert task.level == FeedbackTask.Level.STREET


def test_the_collector_fixes_and_the_fix_is_in_the_record_history(world):
    task = _open(world)
    with pytest.raises(NotFound):
        task_fix(actor=world["c2"], task_id=task.pk, value="07")  # another collector: not theirs
    with pytest.raises(PermissionDenied):
        task_fix(actor=world[Role.COUNTY_OFFICER], task_id=task.pk, value="07")
    task_fix(actor=world["c1"], task_id=task.pk, value="07", note="已核对身份证")
    task.refresh_from_db()
    task.person.refresh_from_db()
    assert task.status == FeedbackTask.Status.FIXED and task.resolved_by == world["c1"]
    assert task.person.ethnicity == "07"
    change = FieldChange.objects.get(object_id=task.person_id, field="ethnicity")
    assert (change.old_value, change.new_value, change.actor) == ("01", "07", world["c1"])
    assert list(task.events.values_list("action", flat=True)) == ["opened", "fixed"]
    with pytest.raises(Conflict):
        task_fix(actor=world["c1"], task_id=task.pk, value="04")


def test_a_dispute_upheld_keeps_the_record(world):
    task = _open(world)
    with pytest.raises(InvalidInput):
        task_dispute(actor=world["c1"], task_id=task.pk, note=" ")
    task_dispute(actor=world["c1"], task_id=task.pk, note="本人户口簿为汉族")
    task.refresh_from_db()
    assert task.status == FeedbackTask.Status.DISPUTED and task.assignee == world[Role.STATION_OFFICER]
    with pytest.raises(PermissionDenied):
        dispute_decide(actor=world["c1"], task_id=task.pk, upheld=True, note="x")
    with pytest.raises(PermissionDenied):
        dispute_decide(actor=world[Role.COUNTY_OFFICER], task_id=task.pk, upheld=True, note="x")
    dispute_decide(actor=world[Role.STATION_OFFICER], task_id=task.pk, upheld=True, note="核对户口簿")
    task.refresh_from_db()
    task.person.refresh_from_db()
    assert task.status == FeedbackTask.Status.UPHELD and task.person.ethnicity == "01"
    assert not FieldChange.objects.exists()
    assert list(task.events.values_list("action", flat=True)) == ["opened", "disputed", "upheld"]


def test_a_dispute_overruled_corrects_the_record(world):
    task = _open(world)
    task_dispute(actor=world["c1"], task_id=task.pk, note="登记无误")
    dispute_decide(actor=world[Role.STREET_OFFICER], task_id=task.pk, upheld=False, value="04", note="见身份证")
    task.refresh_from_db()
    task.person.refresh_from_db()
    assert task.status == FeedbackTask.Status.OVERRULED and task.person.ethnicity == "04"
    assert FieldChange.objects.get(field="ethnicity").actor == world[Role.STREET_OFFICER]


def test_a_spot_check_correction_disputed_and_upheld_is_undone_and_stops_counting(world):
    start, end = SEPTEMBER
    spot = round_create(
        actor=world[Role.COUNTY_OFFICER],
        division_code="510104",
        period_start=start,
        period_end=end,
        seed=3,
        fields=["ethnicity"],
    )
    check = spot.checks.filter(collector=world["c1"]).first()
    check_record(
        actor=check.verifier, check_id=check.pk, verdicts={"ethnicity": {"verdict": "corrected", "found": "07"}}
    )
    task = FeedbackTask.objects.get(spot_check=check)
    assert (task.recorded_value, task.found_value, task.assignee) == ("01", "07", world["c1"])
    task_dispute(actor=world["c1"], task_id=task.pk, note="户口簿为汉族")
    dispute_decide(actor=world[Role.STATION_OFFICER], task_id=task.pk, upheld=True, note="核对户口簿无误")
    check.refresh_from_db()
    check.person.refresh_from_db()
    assert check.person.ethnicity == "01"
    assert check.fields_corrected == 0 and check.results["ethnicity"]["dispute"] == "upheld"
    assert not SpotCheck.objects.get(pk=check.pk).is_wrong


def test_events_record_each_step_with_the_assignee_after_it(world, on_26_september):
    task = _open(world)
    feedback_escalate(dt.date(2025, 10, 11))
    task_fix(actor=world["c1"], task_id=task.pk, value="07")  # the collector may still fix it after escalation
    steps = list(FeedbackEvent.objects.filter(task=task).values_list("action", "assignee_id", "actor_id"))
    station = world[Role.STATION_OFFICER].pk
    assert steps == [
        ("opened", world["c1"].pk, world[Role.STATION_OFFICER].pk),
        ("escalated", station, None),
        ("fixed", station, world["c1"].pk),
    ]
