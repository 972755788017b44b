"""Joint cases: an event split into parts, one per unit, each with its own working-day deadline and state; the
case closes only once every part has; a late part is supervised against its own unit; plans open one case per
period."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, login
from liuguan.core.errors import InvalidInput, PermissionDenied
from liuguan.grid.models import GridEvent, JointPart, JointPlan, PartState, State, Supervision
from liuguan.grid.services.events import event_close, event_feedback
from liuguan.grid.services.joint import (
    PartSpec,
    joint_case_open,
    joint_part_act,
    joint_plan_create,
    joint_plans_run,
    next_run_after,
)
from liuguan.grid.services.supervision import supervise

from .world import event_in

pytestmark = pytest.mark.django_db

BEFORE_HOLIDAY = dt.date(2026, 9, 29)  # Tuesday; 1-7 October off, 10 October (Saturday) a make-up working day
PARTS = [
    PartSpec(task="检查消防通道和电动车充电", days=3, department_code="fire_rescue"),
    PartSpec(task="核查群租和租客登记", days=5, office_level="community"),
]


@pytest.fixture
def on_day(monkeypatch):
    def set_day(day):
        for where in ("liuguan.grid.services.joint", "liuguan.grid.services.events"):
            monkeypatch.setattr(f"{where}.china_today", lambda: day)
        return day

    return set_day


def _case(world):
    event = event_in(State.TRANSMITTED, grid=world["grid"])
    return joint_case_open(actor=world[Role.STATION_OFFICER], event_id=event.pk, parts=PARTS, note="联合检查")


def test_a_part_deadline_counts_working_days_across_the_national_day(world, on_day):
    on_day(BEFORE_HOLIDAY)
    case = _case(world)
    fire, station = case.parts.order_by("id")
    assert (case.state, case.joint, case.assigned_division_id, case.dispose_due) == (
        State.IN_PROGRESS,
        True,
        IN_COMMUNITY,
        None,
    )
    assert fire.due_on == dt.date(2026, 10, 9)  # 30 Sep, 8 Oct, 9 Oct
    assert station.due_on == dt.date(2026, 10, 12)  # ... 10 Oct (make-up), 12 Oct
    assert case.steps.filter(action="joint").exists() and fire.steps.get().action == "open"


def test_the_case_closes_only_when_every_part_has(world, on_day):
    on_day(BEFORE_HOLIDAY)
    case = _case(world)
    fire, station = case.parts.order_by("id")
    joint_part_act(actor=world["fire"], part_id=fire.pk, action="accept")
    joint_part_act(actor=world["fire"], part_id=fire.pk, action="done", note="已清理通道")
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS  # the station's part is still open
    with pytest.raises(InvalidInput) as refused:
        event_close(actor=world[Role.STATION_OFFICER], event_id=case.pk, fixed=False, note="不查了")
    assert [p.rule for p in refused.value.problems] == ["grid.joint_parts_open"]
    # Not the station's part to take for the fire department, nor a grid worker's.
    with pytest.raises(PermissionDenied):
        joint_part_act(actor=world["fire"], part_id=station.pk, action="accept")
    joint_part_act(actor=world[Role.STATION_OFFICER], part_id=station.pk, action="accept")
    joint_part_act(actor=world[Role.STATION_OFFICER], part_id=station.pk, action="done", note="已登记租客")
    case.refresh_from_db()
    assert case.state == State.DISPOSED and case.steps.last().action == "parts_done"
    event_feedback(actor=world[Role.GRID_WORKER], event_id=case.pk, note="现场已整改")
    event_close(actor=world[Role.STATION_OFFICER], event_id=case.pk)
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_not_responsible_names_who_is_and_their_part_opens(world, on_day):
    on_day(BEFORE_HOLIDAY)
    case = _case(world)
    fire = case.parts.get(department_id="fire_rescue")
    joint_part_act(
        actor=world["fire"],
        part_id=fire.pk,
        action="not_responsible",
        note="属城管职责",
        department_code="urban_management",
    )
    fire.refresh_from_db()
    assert fire.state == PartState.NOT_RESPONSIBLE
    assert case.parts.get(department_id="urban_management").state == PartState.OPEN
    with pytest.raises(InvalidInput):
        joint_part_act(actor=world["fire"], part_id=fire.pk, action="done", note="x")


def test_a_late_part_gets_a_yellow_then_a_red_card_against_its_own_unit(world, on_day):
    on_day(BEFORE_HOLIDAY)
    case = _case(world)
    fire = case.parts.get(department_id="fire_rescue")
    joint_part_act(
        actor=world[Role.STATION_OFFICER], part_id=case.parts.get(division__isnull=False).pk, action="accept"
    )
    supervise(today=dt.date(2026, 10, 12))  # fire's part was due 9 October
    [yellow] = Supervision.objects.filter(part=fire)
    assert (yellow.card, yellow.held_department_id, yellow.stage) == ("yellow", "fire_rescue", "part")
    supervise(today=dt.date(2026, 10, 12))
    assert Supervision.objects.filter(part=fire).count() == 1
    supervise(today=dt.date(2026, 10, 14))
    red = Supervision.objects.get(part=fire, card="red")
    assert red.to_division_id == "510104"  # the county of the case's area, above a department
    fire.refresh_from_db()
    assert fire.overdue
    # The station's part (due 12 October) is not late yet on the 12th and got no card then.
    assert not Supervision.objects.filter(part__division__isnull=False, issued_on=dt.date(2026, 10, 12)).exists()


def test_a_plan_opens_one_case_per_period(world, on_day):
    on_day(dt.date(2026, 9, 1))
    plan = joint_plan_create(
        actor=world[Role.STATION_OFFICER],
        name="出租屋季度联合检查",
        category_code="rental_house_safety",
        community_code=IN_COMMUNITY,
        grid_code=world["grid"].code,
        description="消防、治安、登记联合检查",
        parts=PARTS,
        first_run=dt.date(2026, 9, 1),
        every_months=3,
    )
    assert joint_plans_run(dt.date(2026, 9, 1)) == {"opened": 1, "skipped": 0}
    assert joint_plans_run(dt.date(2026, 9, 1)) == {"opened": 0, "skipped": 0}
    assert joint_plans_run(dt.date(2026, 11, 30)) == {"opened": 0, "skipped": 0}
    plan.refresh_from_db()
    assert plan.next_run == dt.date(2026, 12, 1)
    case = GridEvent.objects.get(rule="joint_plan")
    assert (case.joint, case.parts.count(), case.grid) == (True, 2, world["grid"])
    assert joint_plans_run(dt.date(2026, 12, 2)) == {"opened": 1, "skipped": 0}
    assert GridEvent.objects.filter(rule="joint_plan").count() == 2
    # A period's case is opened once even if the plan's date were set back to it.
    JointPlan.objects.filter(pk=plan.pk).update(next_run=dt.date(2026, 12, 1))
    assert joint_plans_run(dt.date(2026, 12, 3)) == {"opened": 0, "skipped": 1}


def test_cron_recurrence_and_refusals(world, on_day):
    on_day(dt.date(2026, 9, 1))
    plan = JointPlan(cron="0 9 1 */3 *", next_run=dt.date(2026, 9, 1))
    assert next_run_after(plan, dt.date(2026, 9, 1)) == dt.date(2026, 10, 1)
    with pytest.raises(InvalidInput) as refused:
        joint_plan_create(
            actor=world[Role.STATION_OFFICER],
            name="x",
            category_code="rental_house_safety",
            community_code=IN_COMMUNITY,
            description="y",
            parts=PARTS[:1],
            first_run=dt.date(2026, 9, 1),
            cron="not a cron",
        )
    assert {p.rule for p in refused.value.problems} >= {"grid.plan_cron"}
    with pytest.raises(PermissionDenied):
        joint_plan_create(
            actor=world[Role.GRID_WORKER],
            name="x",
            category_code="rental_house_safety",
            community_code=IN_COMMUNITY,
            description="y",
            parts=PARTS,
            first_run=dt.date(2026, 9, 1),
            every_months=1,
        )
    assert not JointPlan.objects.exists() and login(world[Role.GRID_WORKER])


def test_pages_split_an_event_show_each_units_progress_and_keep_plans(world):
    event = event_in(State.TRANSMITTED, grid=world["grid"])
    desk = login(world[Role.STATION_OFFICER])
    assert 'data-testid="split"' in desk.get(f"/grid/events/{event.pk}/").content.decode()
    refused = desk.post(f"/grid/events/{event.pk}/joint/", {"unit_1": "dept:fire_rescue", "task_1": "查", "days_1": 3})
    assert "at least two units" in refused.content.decode() or "至少" in refused.content.decode()
    response = desk.post(
        f"/grid/events/{event.pk}/joint/",
        {
            "unit_1": "dept:fire_rescue",
            "task_1": "检查消防通道",
            "days_1": 3,
            "unit_2": "office:community",
            "task_2": "核查租客登记",
            "days_2": 5,
        },
    )
    assert response.status_code == 302
    fire_part = JointPart.objects.get(department_id="fire_rescue")
    fire = login(world["fire"])
    page = fire.get(f"/grid/events/{event.pk}/").content.decode()
    assert 'data-testid="parts"' in page and f'data-part="{fire_part.pk}"' in page
    assert fire.post(f"/grid/parts/{fire_part.pk}/act/accept/", {"note": ""}).status_code == 302
    fire_part.refresh_from_db()
    assert fire_part.state == PartState.ACCEPTED
    station_part = JointPart.objects.get(division_id=IN_COMMUNITY)
    assert fire.post(f"/grid/parts/{station_part.pk}/act/accept/").status_code == 403
    # The grid worker may not open plans; the desk keeps one.
    assert login(world[Role.GRID_WORKER]).get("/grid/plans/").status_code == 403
    saved = desk.post(
        "/grid/plans/",
        {
            "name": "季度联合检查",
            "category": "rental_house_safety",
            "grid": world["grid"].code,
            "description": "消防、登记联合检查",
            "every_months": 3,
            "first_run": "2099-01-01",
            "unit_1": "dept:fire_rescue",
            "task_1": "消防",
            "days_1": 3,
            "unit_2": "office:community",
            "task_2": "登记",
            "days_2": 5,
        },
    )
    assert saved.status_code == 302 and JointPlan.objects.get().every_months == 3
    assert "季度联合检查" in desk.get("/grid/plans/").content.decode()
