import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import citizen_id, login
from liuguan.core.crypto import decrypt_text
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.oversight import selectors_sweeps as selectors
from liuguan.oversight.models import FeedbackTask, Sweep, SweepTask
from liuguan.oversight.services.sweeps import sweep_close, sweep_create, sweep_task_assign, sweep_task_complete
from liuguan.registry.models import FieldChange, Person, Stay
from liuguan.registry.services import PersonInput, StayInput, person_register

from .test_sweep_world import C1, C2, C3, build_county, make_stay, make_user


@pytest.fixture
def county(users):
    return build_county(users)


def _sweep(world, code="510104", actor=None):
    starts, ends = world["window"]
    actor = actor or world["users"][Role.COUNTY_OFFICER]
    return sweep_create(actor=actor, division_code=code, name="春季清理", starts_on=starts, ends_on=ends)


def _task(sweep, house):
    return SweepTask.objects.get(sweep=sweep, house=house)


def _state():
    return (
        AuditEvent.objects.count(),
        Stay.objects.filter(departed_on__isnull=False).count(),
        Stay.objects.filter(verified_on__isnull=False).count(),
        FieldChange.objects.count(),
        tuple(SweepTask.objects.order_by("pk").values_list("outcome", "worker_id")),
        tuple(Person.objects.order_by("pk").values_list("phone", flat=True)),
    )


# -- creation ---------------------------------------------------------------------------------------------------


def test_a_county_sweep_visits_exactly_the_lived_in_and_let_houses_with_the_right_workers(county):
    h, s = county["houses"], county["stays"]
    before = AuditEvent.objects.count()

    sweep = _sweep(county)

    tasks = {t.house_id: t for t in SweepTask.objects.filter(sweep=sweep)}
    assert set(tasks) == {h[k].pk for k in ("h1", "h2", "h3", "h4", "h5", "h6")}
    assert tasks[h["h1"].pk].worker == county["gw"]
    assert tasks[h["h1"].pk].stays_expected == 2
    assert sorted(tasks[h["h1"].pk].details["expected"]) == sorted([s["s1a"].pk, s["s1b"].pk])
    # h3 has no grid: it takes its stay's grid, and that grid's worker.
    assert tasks[h["h3"].pk].grid == county["grids"]["g1"] and tasks[h["h3"].pk].worker == county["gw"]
    # G2 has no worker: its houses go to the community's grid workers in turn (by address: h2, then h4).
    assert [tasks[h["h2"].pk].worker, tasks[h["h4"].pk].worker] == [county["gw"], county["gw2"]]
    assert tasks[h["h4"].pk].stays_expected == 0
    # A community without grid workers falls back to its collectors; one with nobody stays unassigned.
    assert tasks[h["h5"].pk].worker == county["collector2"]
    assert tasks[h["h6"].pk].worker is None
    assert {t.community_id for t in tasks.values()} == {C1, C2, C3}
    events = AuditEvent.objects.filter(pk__gt=before)
    assert [e.action for e in events] == ["sweep.create"]
    assert events[0].changes["tasks"] == 6 and events[0].changes["unassigned"] == 1
    assert events[0].changes["stays_expected"] == 5
    assert sweep.number.startswith("QL510104000000") and sweep.division_id == "510104"


def test_a_community_sweep_stays_inside_the_community(county):
    sweep = _sweep(county, code=C2, actor=county["users"][Role.STREET_OFFICER])
    assert list(SweepTask.objects.filter(sweep=sweep).values_list("house_id", flat=True)) == [county["houses"]["h5"].pk]


@pytest.mark.parametrize(
    ("role", "code", "rule"),
    [
        (Role.COUNTY_OFFICER, "510107", "sweep.area_in_scope"),
        (Role.STREET_OFFICER, "510104002", "sweep.area_in_scope"),
        (Role.COUNTY_OFFICER, "510104999", "sweep.area_in_scope"),
        (Role.STATION_OFFICER, "510104001001", None),
    ],
)
def test_the_area_must_lie_inside_the_jurisdiction(county, role, code, rule):
    actor = county["users"][role]
    if rule is None:
        assert _sweep(county, code=code, actor=actor).tasks.count() == 4
        return
    with pytest.raises(InvalidInput) as exc:
        _sweep(county, code=code, actor=actor)
    assert [p.rule for p in exc.value.problems] == [rule]
    assert not Sweep.objects.exists()


def test_the_window_must_be_valid_and_not_over(county):
    actor = county["users"][Role.COUNTY_OFFICER]
    today = county["today"]
    for starts, ends, rule in [
        (today, today - dt.timedelta(days=1), "sweep.window_order"),
        (today - dt.timedelta(days=30), today - dt.timedelta(days=1), "sweep.window_past"),
        (None, today, "sweep.starts_required"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            sweep_create(actor=actor, division_code="510104", name="x", starts_on=starts, ends_on=ends)
        assert rule in [p.rule for p in exc.value.problems]
    assert not Sweep.objects.exists() and not SweepTask.objects.exists()


def test_field_workers_cannot_make_sweeps(county):
    with pytest.raises(PermissionDenied):
        _sweep(county, code=C1, actor=county["gw"])
    assert not Sweep.objects.exists()


def test_numbers_run_on(county):
    first, second = _sweep(county), _sweep(county)
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


# -- assigning --------------------------------------------------------------------------------------------------


def test_an_officer_gives_an_unassigned_house_to_a_worker_whose_area_covers_it(county):
    sweep = _sweep(county)
    officer = county["users"][Role.COUNTY_OFFICER]
    task = _task(sweep, county["houses"]["h6"])
    c3_collector = make_user("c3", Role.COLLECTOR, C3)
    # A worker of another community does not cover the house; nothing changes.
    with pytest.raises(InvalidInput) as exc:
        sweep_task_assign(actor=officer, task_ids=[task.pk], worker_id=county["gw"].pk)
    assert exc.value.problems[0].rule == "sweep.worker_covers"
    task.refresh_from_db()
    assert task.worker is None

    assert sweep_task_assign(actor=officer, task_ids=[task.pk], worker_id=c3_collector.pk) == 1
    task.refresh_from_db()
    assert task.worker == c3_collector
    assert AuditEvent.objects.filter(action="sweep_task.assign", object_id=str(sweep.pk)).count() == 1


def test_assigning_a_task_outside_the_jurisdiction_looks_missing(county):
    sweep = _sweep(county)
    task = _task(sweep, county["houses"]["h6"])  # community 510104002001, outside the station officer's
    with pytest.raises(NotFound):
        sweep_task_assign(actor=county["users"][Role.STATION_OFFICER], task_ids=[task.pk], worker_id=county["gw"].pk)


# -- the visit --------------------------------------------------------------------------------------------------


def test_present_confirms_and_left_ends(county):
    sweep = _sweep(county)
    s = county["stays"]
    task = _task(sweep, county["houses"]["h1"])
    left_on = county["today"] - dt.timedelta(days=3)
    before = AuditEvent.objects.count()

    done = sweep_task_complete(
        actor=county["gw"],
        task_id=task.pk,
        present=[s["s1a"].pk],
        left={s["s1b"].pk: left_on},
        corrections=[],
        new_stays=[],
    )

    assert done.outcome == SweepTask.Outcome.LEFT
    s["s1a"].refresh_from_db()
    s["s1b"].refresh_from_db()
    assert s["s1a"].verified_on == county["today"] and s["s1a"].departed_on is None
    assert s["s1b"].departed_on == left_on
    assert done.details["present"] == [s["s1a"].pk] and done.details["left"] == [s["s1b"].pk]
    assert done.done_by == county["gw"] and done.done_at is not None
    actions = list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True))
    assert actions[0] == "stay.verify" and actions[-1] == "sweep_task.complete" and "stay.depart" in actions


def test_everyone_present_is_the_outcome_present(county):
    sweep = _sweep(county)
    s = county["stays"]
    done = sweep_task_complete(
        actor=county["gw"],
        task_id=_task(sweep, county["houses"]["h1"]).pk,
        present=[s["s1a"].pk, s["s1b"].pk],
        left={},
        corrections=[],
        new_stays=[],
    )
    assert done.outcome == SweepTask.Outcome.PRESENT
    assert Stay.objects.filter(pk__in=[s["s1a"].pk, s["s1b"].pk], verified_on=county["today"]).count() == 2


def test_every_expected_stay_must_be_accounted_for(county):
    sweep = _sweep(county)
    s = county["stays"]
    before = _state()
    with pytest.raises(InvalidInput) as exc:
        sweep_task_complete(
            actor=county["gw"],
            task_id=_task(sweep, county["houses"]["h1"]).pk,
            present=[s["s1a"].pk],
            left={},
            corrections=[],
            new_stays=[],
        )
    assert [p.rule for p in exc.value.problems] == ["sweep.unaccounted"]
    assert _state() == before


def test_a_stay_of_another_house_is_refused_and_nothing_changes(county):
    sweep = _sweep(county)
    s = county["stays"]
    before = _state()
    with pytest.raises(InvalidInput) as exc:
        sweep_task_complete(
            actor=county["gw"],
            task_id=_task(sweep, county["houses"]["h1"]).pk,
            present=[s["s1a"].pk, s["s1b"].pk, s["s2"].pk],
            left={},
            corrections=[],
            new_stays=[],
        )
    assert "sweep.stay_elsewhere" in [p.rule for p in exc.value.problems]
    assert _state() == before


@pytest.mark.parametrize("who", ["collector", "gw2", "out_of_area"])
def test_only_the_tasks_worker_completes_it_and_a_refusal_changes_nothing(county, who):
    sweep = _sweep(county)
    s = county["stays"]
    actor = {
        "collector": county["users"][Role.COLLECTOR],  # same community: sees the task, is not its worker
        "gw2": county["gw2"],
        "out_of_area": county["collector2"],  # another community: the task looks missing
    }[who]
    task = _task(sweep, county["houses"]["h1"])
    before = _state()
    with pytest.raises(NotFound if who == "out_of_area" else PermissionDenied):
        sweep_task_complete(
            actor=actor, task_id=task.pk, present=[s["s1a"].pk, s["s1b"].pk], left={}, corrections=[], new_stays=[]
        )
    assert _state() == before


def test_the_station_officer_may_complete_a_task_of_their_community(county):
    sweep = _sweep(county)
    s = county["stays"]
    done = sweep_task_complete(
        actor=county["users"][Role.STATION_OFFICER],
        task_id=_task(sweep, county["houses"]["h2"]).pk,
        present=[s["s2"].pk],
        left={},
        corrections=[],
        new_stays=[],
    )
    assert done.outcome == SweepTask.Outcome.PRESENT


def test_a_task_is_completed_once(county):
    sweep = _sweep(county)
    s = county["stays"]
    kwargs = {"present": [s["s2"].pk], "left": {}, "corrections": [], "new_stays": []}
    task = _task(sweep, county["houses"]["h2"])
    sweep_task_complete(actor=task.worker, task_id=task.pk, **kwargs)
    with pytest.raises(Conflict):
        sweep_task_complete(actor=task.worker, task_id=task.pk, **kwargs)


def test_a_person_registered_at_the_house_during_the_sweep_is_new(county):
    sweep = _sweep(county)
    h, s = county["houses"], county["stays"]
    gw = county["gw"]
    # Registered by the worker through the ordinary registration, at the house.
    done = person_register(
        actor=gw,
        person=PersonInput(
            doc_type="citizen_id", doc_number=citizen_id("511321", "19950505", "123"), name="新来", phone=""
        ),
        stay=StayInput(community_code=C1, arrived_on=county["today"], reason="work", house_id=h["h1"].pk),
    )
    # Someone registered at the house by another channel meanwhile is not the sweep's finding.
    landlord_reported = make_stay(C1, h["h1"], source_channel="landlord")
    task = _task(sweep, h["h1"])
    stays = selectors.task_stays(task=task, sweep=sweep, actor=gw)
    assert [x.pk for x in stays.new] == [done.stay.pk]
    assert [x.pk for x in stays.others] == [landlord_reported.pk]

    with pytest.raises(InvalidInput) as exc:
        sweep_task_complete(
            actor=gw,
            task_id=task.pk,
            present=[s["s1a"].pk, s["s1b"].pk],
            left={},
            corrections=[],
            new_stays=[landlord_reported.pk],
        )
    assert "sweep.not_new" in [p.rule for p in exc.value.problems]

    result = sweep_task_complete(
        actor=gw,
        task_id=task.pk,
        present=[s["s1a"].pk, s["s1b"].pk],
        left={},
        corrections=[],
        new_stays=[done.stay.pk],
    )
    assert result.outcome == SweepTask.Outcome.NEW_PERSON and result.details["new"] == [done.stay.pk]


def test_a_correction_is_applied_and_the_outcome_is_corrected(county):
    sweep = _sweep(county)
    s = county["stays"]
    person = s["s1a"].person
    collector = county["users"][Role.COLLECTOR]
    Person.objects.filter(pk=person.pk).update(created_by=collector)  # who set the phone that turns out wrong
    done = sweep_task_complete(
        actor=county["gw"],
        task_id=_task(sweep, county["houses"]["h1"]).pk,
        present=[s["s1a"].pk],
        left={s["s1b"].pk: county["today"]},
        corrections=[
            {"object_type": "registry.person", "object_id": person.pk, "field": "phone", "value": "13800001111"}
        ],
        new_stays=[],
    )
    person.refresh_from_db()
    assert person.phone == "13800001111"
    assert done.outcome == SweepTask.Outcome.CORRECTED
    assert done.details["corrected"] == [{"object": f"registry.person:{person.pk}", "field": "phone"}]
    change = FieldChange.objects.get(object_type="registry.person", object_id=person.pk, field="phone")
    assert change.actor == county["gw"] and decrypt_text(change.new_value) == "13800001111"  # kept encrypted
    # Traced back: a feedback task of origin "sweep" goes to the collector who set the field, not to the sweeper.
    task = FeedbackTask.objects.get(object_type="registry.person", object_id=person.pk, field="phone")
    assert (task.origin, task.collector, task.assignee) == ("sweep", collector, collector)
    assert (task.recorded_value, task.found_value) == ("13912345678", "13800001111")
    assert done.details["feedback"] == [task.number]


def test_a_correction_of_someone_not_at_the_house_is_refused(county):
    sweep = _sweep(county)
    s = county["stays"]
    before = _state()
    with pytest.raises(InvalidInput) as exc:
        sweep_task_complete(
            actor=county["gw"],
            task_id=_task(sweep, county["houses"]["h1"]).pk,
            present=[s["s1a"].pk, s["s1b"].pk],
            left={},
            corrections=[
                {
                    "object_type": "registry.person",
                    "object_id": s["s2"].person_id,
                    "field": "phone",
                    "value": "13800001111",
                }
            ],
            new_stays=[],
        )
    assert "sweep.correction_target" in [p.rule for p in exc.value.problems]
    assert _state() == before


def test_a_bad_departure_date_rolls_everything_back(county):
    sweep = _sweep(county)
    s = county["stays"]
    before = _state()
    with pytest.raises(InvalidInput) as exc:
        sweep_task_complete(
            actor=county["gw"],
            task_id=_task(sweep, county["houses"]["h1"]).pk,
            present=[s["s1a"].pk],
            left={s["s1b"].pk: dt.date(2020, 1, 1)},  # before the arrival
            corrections=[],
            new_stays=[],
        )
    assert exc.value.problems[0].field == f"left.{s['s1b'].pk}"
    assert _state() == before


def test_a_stay_ended_meanwhile_need_not_be_accounted_for(county):
    from liuguan.registry.services import stay_depart

    sweep = _sweep(county)
    s = county["stays"]
    stay_depart(actor=county["users"][Role.COLLECTOR], stay_id=s["s1b"].pk, departed_on=county["today"])
    done = sweep_task_complete(
        actor=county["gw"],
        task_id=_task(sweep, county["houses"]["h1"]).pk,
        present=[s["s1a"].pk],
        left={},
        corrections=[],
        new_stays=[],
    )
    assert done.outcome == SweepTask.Outcome.PRESENT and done.details["ended"] == [s["s1b"].pk]


def test_a_stay_moved_to_another_house_meanwhile_need_not_be_accounted_for(county):
    sweep = _sweep(county)
    s = county["stays"]
    Stay.objects.filter(pk=s["s1b"].pk).update(house=county["houses"]["h7"])
    done = sweep_task_complete(
        actor=county["gw"],
        task_id=_task(sweep, county["houses"]["h1"]).pk,
        present=[s["s1a"].pk],
        left={},
        corrections=[],
        new_stays=[],
    )
    assert done.outcome == SweepTask.Outcome.PRESENT and done.details["ended"] == [s["s1b"].pk]


def test_a_let_house_with_nobody_is_done_with_no_one_to_account_for(county):
    sweep = _sweep(county)
    task = _task(sweep, county["houses"]["h4"])
    done = sweep_task_complete(actor=task.worker, task_id=task.pk, present=[], left={}, corrections=[], new_stays=[])
    assert done.outcome == SweepTask.Outcome.PRESENT


def test_a_sweep_not_yet_started_cannot_be_worked(county):
    officer = county["users"][Role.COUNTY_OFFICER]
    today = county["today"]
    sweep = sweep_create(
        actor=officer,
        division_code="510104",
        name="x",
        starts_on=today + dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=9),
    )
    task = _task(sweep, county["houses"]["h4"])
    with pytest.raises(InvalidInput) as exc:
        sweep_task_complete(actor=task.worker, task_id=task.pk, present=[], left={}, corrections=[], new_stays=[])
    assert exc.value.problems[0].rule == "sweep.not_started"


# -- closing ----------------------------------------------------------------------------------------------------


def test_the_closing_report_counts_what_the_sweep_changed(county):
    sweep = _sweep(county)
    h, s = county["houses"], county["stays"]
    gw = county["gw"]
    new = person_register(
        actor=gw,
        person=PersonInput(doc_type="citizen_id", doc_number=citizen_id("511321", "19950505", "123"), name="新来"),
        stay=StayInput(community_code=C1, arrived_on=county["today"], reason="work", house_id=h["h3"].pk),
    )
    # h1: one present, one left, one field corrected -> corrected.
    sweep_task_complete(
        actor=gw,
        task_id=_task(sweep, h["h1"]).pk,
        present=[s["s1a"].pk],
        left={s["s1b"].pk: county["today"]},
        corrections=[
            {
                "object_type": "registry.stay",
                "object_id": s["s1a"].pk,
                "field": "address",
                "value": "督院街 1 号 2 单元",
            }
        ],
        new_stays=[],
    )
    # h2 (gw's in turn): present.  h3: present and a new person.  h4, h5, h6: not visited.
    sweep_task_complete(
        actor=gw, task_id=_task(sweep, h["h2"]).pk, present=[s["s2"].pk], left={}, corrections=[], new_stays=[]
    )
    sweep_task_complete(
        actor=gw,
        task_id=_task(sweep, h["h3"]).pk,
        present=[s["s3"].pk],
        left={},
        corrections=[],
        new_stays=[new.stay.pk],
    )
    officer = county["users"][Role.COUNTY_OFFICER]
    before = AuditEvent.objects.count()

    closed = sweep_close(actor=officer, sweep_id=sweep.pk)

    t = closed.report["totals"]
    assert (t["tasks"], t["done"], t["not_done"], t["unassigned"]) == (6, 3, 3, 1)
    assert t["outcomes"] == {"present": 1, "left": 0, "new_person": 1, "corrected": 1}
    assert (t["stays_expected"], t["stays_confirmed"], t["stays_ended"], t["new_people"], t["fields_corrected"]) == (
        5,
        3,
        1,
        1,
        1,
    )
    grids = {(g["community"], g["grid_name"]): g for g in closed.report["grids"]}
    g1 = grids[(C1, "一网格")]  # h1 and h3
    assert (g1["tasks"], g1["done"], g1["stays_confirmed"], g1["new_people"]) == (2, 2, 2, 1)
    assert grids[(C3, "")]["not_done"] == 1
    assert closed.status == Sweep.Status.CLOSED and closed.closed_by == officer
    assert list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True)) == ["sweep.close"]
    # Closed: nothing more is done, and closing twice is refused.
    h4 = _task(sweep, h["h4"])
    with pytest.raises(InvalidInput):
        sweep_task_complete(actor=h4.worker, task_id=h4.pk, present=[], left={}, corrections=[], new_stays=[])
    with pytest.raises(Conflict):
        sweep_close(actor=officer, sweep_id=sweep.pk)


def test_only_an_officer_of_the_sweeps_area_closes_it(county):
    sweep = _sweep(county)
    with pytest.raises(PermissionDenied):  # the station officer sees the county's sweep but is below it
        sweep_close(actor=county["users"][Role.STATION_OFFICER], sweep_id=sweep.pk)
    other = make_user("wuhou", Role.COUNTY_OFFICER, "510107")
    with pytest.raises(NotFound):
        sweep_close(actor=other, sweep_id=sweep.pk)
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.OPEN


# -- reads ------------------------------------------------------------------------------------------------------


def test_progress_by_grid_and_my_tasks(county):
    sweep = _sweep(county)
    s, h = county["stays"], county["houses"]
    sweep_task_complete(
        actor=county["gw"],
        task_id=_task(sweep, h["h2"]).pk,
        present=[s["s2"].pk],
        left={},
        corrections=[],
        new_stays=[],
    )
    grids, total = selectors.sweep_progress(user=county["users"][Role.COUNTY_OFFICER], sweep=sweep)
    assert (total.tasks, total.done, total.unassigned) == (6, 1, 1)
    by_name = {(g.community_code, g.grid_name): g for g in grids}
    g2 = by_name[(C1, "二网格")]
    assert (g2.tasks, g2.done, g2.outcomes["present"], sorted(g2.workers)) == (
        2,
        1,
        1,
        sorted(["gw2", str(county["gw"])]),
    )
    # The station officer sees only their community's part of the county's sweep.
    grids, total = selectors.sweep_progress(user=county["users"][Role.STATION_OFFICER], sweep=sweep)
    assert total.tasks == 4 and {g.community_code for g in grids} == {C1}

    mine = selectors.my_sweep_tasks(user=county["gw"])
    assert [t.house.address for t in mine] == [
        "督院街 1 号",
        "督院街 3 号",
        "督院街 2 号",
    ]  # to visit first, by address


def test_found_by_area_counts_new_people_and_ended_stays_per_unit(county):
    sweep = _sweep(county)
    h, s = county["houses"], county["stays"]
    gw = county["gw"]
    new = person_register(
        actor=gw,
        person=PersonInput(doc_type="citizen_id", doc_number=citizen_id("511321", "19950505", "123"), name="新来"),
        stay=StayInput(community_code=C1, arrived_on=county["today"], reason="work", house_id=h["h3"].pk),
    )
    sweep_task_complete(
        actor=gw,
        task_id=_task(sweep, h["h1"]).pk,
        present=[s["s1a"].pk],
        left={s["s1b"].pk: county["today"]},
        corrections=[],
        new_stays=[],
    )
    sweep_task_complete(
        actor=gw,
        task_id=_task(sweep, h["h3"]).pk,
        present=[s["s3"].pk],
        left={},
        corrections=[],
        new_stays=[new.stay.pk],
    )
    officer = county["users"][Role.COUNTY_OFFICER]
    assert selectors.sweep_found_by_area(user=officer, level="community") == {C1: {"new_people": 1, "stays_ended": 1}}
    assert selectors.sweep_found_by_area(user=officer, level="street", parent="510104") == {
        "510104001": {"new_people": 1, "stays_ended": 1}
    }
    assert selectors.sweep_found_by_area(user=officer, level="collector") == {
        gw.pk: {"new_people": 1, "stays_ended": 0}
    }
    # Another county's officer sees nothing of it; a parent outside the jurisdiction gives nothing.
    assert selectors.sweep_found_by_area(user=make_user("wuhou", Role.COUNTY_OFFICER, "510107"), level="county") == {}
    assert selectors.sweep_found_by_area(user=officer, level="community", parent="510107") == {}
    # The omissions page shows them beside the estimate of the community.
    page = login(officer).get("/oversight/omissions/", {"parent": "510104001", "level": "community"})
    rows = {row["code"]: row for row in page.context["rows"]}
    assert rows[C1]["found"] == {"new_people": 1, "stays_ended": 1}
    assert 'data-testid="found-by-sweeps">1<' in page.content.decode()


def test_a_county_sized_sweep_is_made_in_a_bounded_number_of_queries(county, django_assert_max_num_queries):
    from liuguan.geo.models import Grid
    from liuguan.registry.models import House

    # 600 more houses over three communities and grids, half of them lived in: a query per house would be 600+.
    grids = list(Grid.objects.order_by("code"))
    houses = House.objects.bulk_create(
        House(address=f"新村 {i} 号", community_id=grids[i % 3].community_id, grid=grids[i % 3], is_rented=i % 2 == 0)
        for i in range(600)
    )
    people = Person.objects.bulk_create(
        Person(
            doc_type="passport",
            doc_number=f"E{i:08d}",
            name=f"人{i}",
            name_pinyin="ren",
            name_initials="r",
            sex="F",
            birth_date=dt.date(1991, 1, 1),
        )
        for i in range(300)
    )
    Stay.objects.bulk_create(
        Stay(
            person=p,
            community_id=houses[2 * i + 1].community_id,
            house=houses[2 * i + 1],
            grid=houses[2 * i + 1].grid,
            reason="work",
            arrived_on=dt.date(2024, 1, 1),
            source_channel="collector",
        )
        for i, p in enumerate(people)
    )
    with django_assert_max_num_queries(30):
        sweep = _sweep(county)
    assert sweep.tasks.count() == 606
    assert sweep.tasks.filter(worker__isnull=True).count() == 1
    assert sweep.tasks.filter(stays_expected=1).count() == 300 + 3  # the new houses, h2, h3 and h6
