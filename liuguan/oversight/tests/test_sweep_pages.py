import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.core.models import AuditEvent
from liuguan.oversight.models import Sweep, SweepTask
from liuguan.oversight.services.sweeps import sweep_create
from liuguan.registry.models import Person, Stay

from .test_sweep_world import C1, C3, OTHER_COUNTY_COMMUNITY, build_county, make_user

MISSING = 999_999


@pytest.fixture
def county(users):
    return build_county(users)


@pytest.fixture
def sweep(county):
    starts, ends = county["window"]
    return sweep_create(
        actor=county["users"][Role.COUNTY_OFFICER],
        division_code="510104",
        name="春季清理",
        starts_on=starts,
        ends_on=ends,
    )


def _task(sweep, house):
    return SweepTask.objects.get(sweep=sweep, house=house)


def _state():
    return (
        AuditEvent.objects.count(),
        tuple(Stay.objects.order_by("pk").values_list("departed_on", "verified_on")),
        tuple(SweepTask.objects.order_by("pk").values_list("outcome", "worker_id")),
        tuple(Sweep.objects.order_by("pk").values_list("status", flat=True)),
        tuple(Person.objects.order_by("pk").values_list("ethnicity", flat=True)),
    )


def test_an_officer_makes_a_sweep_assigns_the_leftover_house_and_closes_it(county):
    officer = login(county["users"][Role.COUNTY_OFFICER])
    form = officer.get("/oversight/sweeps/new/")
    assert form.status_code == 200
    page = form.content.decode()
    assert 'value="510104001001"' in page and 'value="510107"' not in page  # areas inside the county only

    starts, ends = county["window"]
    response = officer.post(
        "/oversight/sweeps/new/",
        {"name": "春季清理", "division_code": "510104", "starts_on": starts.isoformat(), "ends_on": ends.isoformat()},
    )
    sweep = Sweep.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/oversight/sweeps/{sweep.pk}/"

    page = officer.get(f"/oversight/sweeps/{sweep.pk}/").content.decode()
    assert "一网格" in page and "二网格" in page and "和平街 6 号" in page  # progress by grid; the unassigned house
    assert "督院街 1 号" not in page  # assigned houses are not listed as unassigned

    c3_collector = make_user("c3", Role.COLLECTOR, C3)
    task = _task(sweep, county["houses"]["h6"])
    bad = officer.post(f"/oversight/sweeps/{sweep.pk}/assign/", {"task_ids": [task.pk], "worker_id": county["gw"].pk})
    assert bad.status_code == 422
    response = officer.post(
        f"/oversight/sweeps/{sweep.pk}/assign/", {"task_ids": [task.pk], "worker_id": c3_collector.pk}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.worker == c3_collector

    assert officer.get("/oversight/sweeps/").content.decode().count(sweep.number) == 1
    response = officer.post(f"/oversight/sweeps/{sweep.pk}/close/")
    assert response.status_code == 302 and response["Location"] == f"/oversight/sweeps/{sweep.pk}/report/"
    report = officer.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Closing report" in report and 'data-key="not_done">6' in report


def test_the_worker_visits_a_house_from_the_phone(county, sweep):
    gw = login(county["gw"])
    s = county["stays"]
    mine = gw.get("/oversight/sweeps/tasks/").content.decode()
    task = _task(sweep, county["houses"]["h1"])
    assert f"/oversight/sweeps/tasks/{task.pk}/" in mine and "督院街 2 号" in mine and "督院街 4 号" not in mine

    page = gw.get(f"/oversight/sweeps/tasks/{task.pk}/").content.decode()
    person = s["s1a"].person
    assert person.name in page and person.doc_number_masked in page and person.doc_number not in page
    assert f"house_id={county['houses']['h1'].pk}" in page  # the link to register someone new here

    left_on = county["today"] - dt.timedelta(days=1)
    response = gw.post(
        f"/oversight/sweeps/tasks/{task.pk}/",
        {
            f"stay_{s['s1a'].pk}": "present",
            f"stay_{s['s1b'].pk}": "left",
            f"departed_{s['s1b'].pk}": left_on.isoformat(),
            "c0_target": f"registry.person:{person.pk}",
            "c0_field": "ethnicity",
            "c0_value": "回族",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/oversight/sweeps/tasks/"
    task.refresh_from_db()
    assert task.outcome == SweepTask.Outcome.CORRECTED
    assert Stay.objects.get(pk=s["s1b"].pk).departed_on == left_on
    assert Stay.objects.get(pk=s["s1a"].pk).verified_on == county["today"]
    assert Person.objects.get(pk=person.pk).ethnicity == "03"
    done = gw.get(f"/oversight/sweeps/tasks/{task.pk}/").content.decode()
    assert 'data-testid="done"' in done and 'data-testid="visit"' not in done


def test_a_visit_that_leaves_someone_out_is_refused_and_changes_nothing(county, sweep):
    gw = login(county["gw"])
    s = county["stays"]
    task = _task(sweep, county["houses"]["h1"])
    before = _state()
    response = gw.post(
        f"/oversight/sweeps/tasks/{task.pk}/",
        {
            f"stay_{s['s1a'].pk}": "present",
            "c0_target": f"registry.person:{s['s1a'].person_id}",
            "c0_field": "ethnicity",
            "c0_value": "03",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "whether they are present or have left" in response.content.decode()
    assert _state() == before


def test_another_worker_of_the_community_cannot_complete_the_task(county, sweep):
    s = county["stays"]
    task = _task(sweep, county["houses"]["h1"])
    before = _state()
    response = login(county["users"][Role.COLLECTOR]).post(
        f"/oversight/sweeps/tasks/{task.pk}/",
        {f"stay_{s['s1a'].pk}": "present", f"stay_{s['s1b'].pk}": "present"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422 and "given to another worker" in response.content.decode()
    assert _state() == before


def test_an_officer_of_another_county_finds_neither_the_sweep_nor_its_tasks(county, sweep):
    wuhou_officer = login(make_user("wuhou_officer", Role.COUNTY_OFFICER, "510107"))
    wuhou_station = login(make_user("wuhou_station", Role.STATION_OFFICER, OTHER_COUNTY_COMMUNITY))
    task = _task(sweep, county["houses"]["h1"])
    before = _state()
    for client in (wuhou_officer, wuhou_station):
        for path in ("/oversight/sweeps/{}/", "/oversight/sweeps/{}/report/"):
            found, missing = client.get(path.format(sweep.pk)), client.get(path.format(MISSING))
            assert found.status_code == missing.status_code == 404
            assert found.content == missing.content
        for path in ("/oversight/sweeps/{}/close/", "/oversight/sweeps/{}/assign/"):
            assert client.post(path.format(sweep.pk), {"task_ids": [task.pk], "worker_id": 1}).status_code == 404
        assert sweep.number not in client.get("/oversight/sweeps/").content.decode()
    found, missing = (
        wuhou_station.get(f"/oversight/sweeps/tasks/{task.pk}/"),
        wuhou_station.get(f"/oversight/sweeps/tasks/{MISSING}/"),
    )
    assert found.status_code == missing.status_code == 404 and found.content == missing.content
    posted = wuhou_station.post(f"/oversight/sweeps/tasks/{task.pk}/", {f"stay_{county['stays']['s1a'].pk}": "present"})
    assert posted.status_code == 404
    assert _state() == before


@pytest.mark.parametrize(
    ("role", "manage", "work"),
    [
        (Role.COLLECTOR, 403, 200),
        (Role.GRID_WORKER, 403, 200),
        (Role.STATION_OFFICER, 200, 200),
        (Role.STREET_OFFICER, 200, 200),
        (Role.COUNTY_OFFICER, 200, 403),
        (Role.CITY_OFFICER, 200, 403),
        (Role.POLICE, 403, 403),
        (Role.DEPARTMENT_USER, 403, 403),
        (Role.AUDITOR, 403, 403),
    ],
)
def test_who_opens_which_page(county, sweep, role, manage, work):
    client = login(county["users"][role])
    assert client.get("/oversight/sweeps/").status_code == manage
    assert client.get(f"/oversight/sweeps/{sweep.pk}/").status_code == manage
    assert client.get("/oversight/sweeps/new/").status_code == manage
    assert client.get("/oversight/sweeps/tasks/").status_code == work
    task = _task(sweep, county["houses"]["h1"])
    assert client.get(f"/oversight/sweeps/tasks/{task.pk}/").status_code == work


def test_the_station_officer_sees_the_county_sweep_but_only_its_community_and_cannot_close_it(county, sweep):
    station = login(county["users"][Role.STATION_OFFICER])
    page = station.get(f"/oversight/sweeps/{sweep.pk}/").content.decode()
    assert "一网格" in page and "三网格" not in page and "和平街 6 号" not in page
    assert 'data-testid="close"' not in page
    station.post(f"/oversight/sweeps/{sweep.pk}/close/")
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.OPEN


def test_a_sweep_over_an_area_with_nothing_to_visit_says_so(county):
    officer = login(county["users"][Role.STATION_OFFICER])
    Stay.objects.filter(community_id=C1).delete()
    from liuguan.registry.models import House

    House.objects.filter(community_id=C1).update(is_rented=False)
    from liuguan.compliance.models import TenancyFiling

    TenancyFiling.objects.all().delete()
    today = county["today"]
    response = officer.post(
        "/oversight/sweeps/new/",
        {"name": "x", "division_code": C1, "starts_on": today.isoformat(), "ends_on": today.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and "No house in this area" in response.content.decode()
    assert not Sweep.objects.exists()
