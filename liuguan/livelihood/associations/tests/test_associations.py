"""Associations: registering, leaders, members, activities, tasks given and done, volunteers' hours; scope and
refusals that change nothing; figures per area on a hand-made case; pages, API and the demo."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, citizen_id, login
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.geo.models import Division, Level
from liuguan.livelihood.associations import services
from liuguan.livelihood.associations.demo import associations_load
from liuguan.livelihood.associations.models import Association, AssociationTask, Membership, TaskStatus
from liuguan.livelihood.associations.selectors import figures_by_area
from liuguan.registry.models import Person, Stay

D = dt.date(2026, 3, 1)


@pytest.fixture
def origin(divisions):
    return Division.objects.create(code="5113", name="南充市", level=Level.PREFECTURE, parent=divisions["51"])


def _register(actor, name="南充在锦江同乡会", code="510104001", **kw):
    return services.association_register(
        actor=actor, kind=kw.pop("kind", "hometown"), name=name, division_code=code, origin_code="5113", **kw
    )


def _counts():
    return (
        Association.objects.count(),
        Membership.objects.count(),
        AssociationTask.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_whole_flow(users, origin, person_in, person_out):
    county = users[Role.COUNTY_OFFICER]
    association = _register(county)
    assert association.origin_id == "5113"
    services.association_leader_add(actor=county, association_id=association.pk, person_id=person_in.pk, title="会长")
    services.association_leader_add(actor=county, association_id=association.pk, name="钱二", phone="13800000000")
    services.association_member_add(actor=county, association_id=association.pk, person_id=person_in.pk)
    with pytest.raises(Conflict):
        services.association_member_add(actor=county, association_id=association.pk, person_id=person_in.pk)
    services.association_activity_record(
        actor=county, association_id=association.pk, date=D, title="新春联谊会", participants=30
    )
    task = services.association_task_give(
        actor=county, association_id=association.pk, kind="sweep", title="协助清查出租屋", due_on=D
    )
    assert task.status == TaskStatus.OPEN and task.given_by == county
    with pytest.raises(InvalidInput):
        services.association_task_complete(actor=county, task_id=task.pk, report=" ")
    done = services.association_task_complete(actor=county, task_id=task.pk, report="清查 120 户")
    assert done.status == TaskStatus.DONE and done.done_at
    before = _counts()
    with pytest.raises(InvalidInput):  # a done task stays done
        services.association_task_complete(actor=county, task_id=task.pk, report="again")
    assert _counts() == before
    services.volunteer_hours_record(actor=county, association_id=association.pk, date=D, hours="2.5", name="孙")
    for bad in ("0", "25", "x"):
        with pytest.raises(InvalidInput):
            services.volunteer_hours_record(actor=county, association_id=association.pk, date=D, hours=bad, name="孙")
    assert _counts() == before[:3] + (before[3] + 1,)


def test_rules_of_registering(users, origin):
    county = users[Role.COUNTY_OFFICER]
    before = _counts()
    with pytest.raises(InvalidInput) as exc:
        services.association_register(actor=county, kind="hometown", name="无源", division_code="510104")
    assert [p.field for p in exc.value.problems] == ["origin_code"]
    with pytest.raises(InvalidInput):  # outside the officer's county
        _register(county, code="510107")
    with pytest.raises(PermissionDenied):
        _register(users[Role.GRID_WORKER])
    assert _counts() == before
    _register(county)
    with pytest.raises(Conflict):
        _register(county)
    club = services.association_register(actor=county, kind="workers_club", name="职工之家", division_code="510104")
    with pytest.raises(InvalidInput):  # a leader is a person, or a name with a phone
        services.association_leader_add(actor=county, association_id=club.pk, name="无电话")


def test_outside_the_area_an_association_looks_missing(users, origin, divisions):
    association = _register(users[Role.COUNTY_OFFICER])
    other = User.objects.create(username="wuhou", role=Role.COUNTY_OFFICER, division=divisions["510107"])
    before = _counts()
    with pytest.raises(NotFound):
        services.association_task_give(actor=other, association_id=association.pk, kind="notice", title="宣传")
    assert _counts() == before


def test_figures_per_area(users, origin, person_in, person_out):
    county = users[Role.COUNTY_OFFICER]
    a = _register(county, code="510104001001")
    b = services.association_register(actor=county, kind="workers_club", name="职工之家", division_code="510104002")
    c = services.association_register(actor=county, kind="volunteers", name="志愿队", division_code="510104")
    for person in (person_in, person_out):
        services.association_member_add(actor=county, association_id=a.pk, person_id=person.pk)
    services.association_member_add(actor=county, association_id=b.pk, person_id=person_in.pk)
    services.association_activity_record(actor=county, association_id=a.pk, date=D, title="x", participants=5)
    services.association_activity_record(actor=county, association_id=b.pk, date=D, title="y", participants=5)
    services.association_activity_record(actor=county, association_id=b.pk, date=D, title="z", participants=5)
    t = services.association_task_give(actor=county, association_id=b.pk, kind="notice", title="宣传")
    services.association_task_give(actor=county, association_id=b.pk, kind="notice", title="宣传二")
    services.association_task_complete(actor=county, task_id=t.pk, report="发放 300 份")
    services.volunteer_hours_record(actor=county, association_id=c.pk, date=D, hours="3.5", name="孙")
    services.volunteer_hours_record(actor=county, association_id=c.pk, date=D, hours="1", name="李")
    figures = figures_by_area(user=county)
    rows = {r["code"]: r for r in figures["rows"]}
    assert (rows["510104001"]["hometown"], rows["510104001"]["members"], rows["510104001"]["activities"]) == (1, 2, 1)
    assert (rows["510104002"]["workers_club"], rows["510104002"]["tasks_done"], rows["510104002"]["activities"]) == (
        1,
        1,
        2,
    )
    assert (figures["at_area"]["volunteers"], figures["at_area"]["hours"]) == (1, 4.5)
    assert (figures["total"]["members"], figures["total"]["tasks_done"], figures["total"]["hours"]) == (3, 1, 4.5)
    station = figures_by_area(user=users[Role.STATION_OFFICER])
    assert station["total"]["hometown"] == 1 and station["total"]["workers_club"] == 0
    assert Decimal("4.5") == sum(Decimal(str(r["hours"])) for r in [figures["at_area"], *figures["rows"]])


def test_pages_and_api(users, origin, person_in, token_for):
    county = users[Role.COUNTY_OFFICER]
    association = _register(county)
    page = login(county)
    assert page.get("/livelihood/associations/").status_code == 200
    assert page.get(f"/livelihood/associations/{association.pk}/").status_code == 200
    response = page.post(
        f"/livelihood/associations/{association.pk}/", {"form": "member", "member-person_id": person_in.pk}
    )
    assert response.status_code == 302 and Membership.objects.count() == 1
    detail = page.get(f"/livelihood/associations/{association.pk}/").content.decode()
    assert "张三" not in detail  # members are masked
    grid = login(users[Role.GRID_WORKER])
    grid.post(
        f"/livelihood/associations/{association.pk}/",
        {"form": "activity", "activity-date": "2026-03-01", "activity-title": "x", "activity-participants": 1},
    )
    assert association.activities.count() == 0  # the grid worker reads, does not write
    outside = login(User.objects.create(username="mianyang", role=Role.CITY_OFFICER, division_id="5107"))
    assert outside.get(f"/livelihood/associations/{association.pk}/").status_code == 404
    api = api_client(token_for(county))
    made = api.post(
        f"/api/livelihood/associations/{association.pk}/tasks",
        json.dumps({"kind": "notice", "title": "宣传居住证"}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    done = api.post(
        f"/api/livelihood/associations/tasks/{made.json()['id']}/done",
        json.dumps({"report": "已宣传"}),
        content_type="application/json",
    )
    assert done.json()["status"] == "done"
    assert api.get("/api/livelihood/associations/figures").json()["total"]["tasks_done"] == 1
    assert api.get("/api/livelihood/associations").json()[0]["members"] == 1
    assert (
        api_client(token_for(users[Role.GRID_WORKER]))
        .post(
            "/api/livelihood/associations",
            json.dumps({"kind": "volunteers", "name": "x", "division_code": "510104"}),
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_the_demo_makes_hometown_associations_from_the_main_origins(users, origin, divisions):
    for i in range(6):
        person = Person.objects.create(
            doc_type="citizen_id",
            doc_number=citizen_id("511302", "19900101", f"{i:03d}"),
            name=f"南{i}",
            sex="M",
            birth_date="1990-01-01",
            hukou_code="511302",
        )
        Stay.objects.create(
            person=person,
            community_id="510104001001",
            reason="work",
            arrived_on="2024-01-01",
            source_channel="collector",
        )
    assert associations_load() == 3  # 南充's in Chengdu, a workers' club and a volunteer team
    hometown = Association.objects.get(kind="hometown")
    assert (hometown.name, hometown.origin_id, hometown.memberships.count()) == ("南充市在成都市同乡会", "5113", 6)
    assert hometown.leaders.count() == 2 and hometown.tasks.filter(status="done").count() == 1
    assert associations_load() == 0  # a second run adds nothing
