"""Feedback pages: "this field is wrong" on the person page, my tasks, fix and dispute, the officers' list; and the
permission and scope matrix (every role; outside the jurisdiction looks missing and a refused write changes nothing).
"""

import datetime as dt

import pytest

from liuguan.accounts.roles import ALL_STAFF, Role, role_has
from liuguan.conftest import FAR_COMMUNITY, login
from liuguan.core.models import AuditEvent
from liuguan.oversight.models import FeedbackEvent, FeedbackTask, SpotCheck, SpotCheckRound
from liuguan.registry.models import FieldChange, Person

from .test_spotchecks_world import build, register

pytestmark = pytest.mark.django_db
ROLES = [role for role in Role if role in ALL_STAFF]  # migrants: liuguan/portal/tests


@pytest.fixture
def world(users, divisions):
    made = build(users)
    far_stay = register(None, FAR_COMMUNITY, channel="self")
    # Born and living in Chongqing: nobody in Sichuan sees this person, not even through their hukou.
    Person.objects.filter(pk=far_stay.person_id).update(hukou_code="500101")
    far_round = SpotCheckRound.objects.create(
        number="SC-500101-202509-1",
        division_id="500101",
        period_start=dt.date(2025, 9, 1),
        period_end=dt.date(2025, 9, 30),
        sample_size=5,
        fields=["ethnicity"],
        seed=1,
        due_on=dt.date(2099, 1, 1),
    )
    far_check = SpotCheck.objects.create(
        round=far_round, stay=far_stay, person=far_stay.person, community_id=FAR_COMMUNITY
    )
    far_task = FeedbackTask.objects.create(
        number="FB-202509-999999",
        community_id=FAR_COMMUNITY,
        object_type="registry.person",
        object_id=far_stay.person_id,
        field="ethnicity",
        person=far_stay.person,
        stay=far_stay,
        recorded_value="01",
        found_value="07",
        origin="officer",
        due_on=dt.date(2099, 1, 1),
    )
    return {**made, "far_round": far_round, "far_check": far_check, "far_task": far_task, "far_stay": far_stay}


def _state():
    return (
        tuple(FeedbackTask.objects.order_by("pk").values_list("status", "assignee_id")),
        tuple(SpotCheck.objects.order_by("pk").values_list("status", "fields_corrected")),
        tuple(SpotCheckRound.objects.order_by("pk").values_list("status", flat=True)),
        tuple(Person.objects.order_by("pk").values_list("ethnicity", "phone")),
        FieldChange.objects.count(),
        FeedbackEvent.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_pages_by_role_and_outside_looks_missing(world, role):
    client = login(world[role])
    lists = [
        (("quality.view",), "/oversight/checks/", "/oversight/checks/mine/"),
        (("spotcheck.manage",), "/oversight/checks/new/", None),
        (("spotcheck.verify",), "/oversight/checks/mine/", None),
        (("feedback.work",), "/oversight/feedback/", "/oversight/feedback/all/"),
        (("feedback.open",), "/oversight/feedback/all/", None),
    ]
    for perms, path, otherwise in lists:
        response = client.get(path)
        if any(role_has(role, p) for p in perms):
            assert response.status_code == 200, path
        elif otherwise and client.get(otherwise).status_code == 200:
            assert response.status_code == 302 and response["Location"] == otherwise, path  # sent on to their page
        else:
            assert response.status_code == 403, path
    objects = [
        (("quality.view",), "/oversight/checks/rounds/{}/", world["far_round"].pk),
        (("spotcheck.verify",), "/oversight/checks/{}/", world["far_check"].pk),
        (("feedback.work", "feedback.open"), "/oversight/feedback/{}/", world["far_task"].pk),
    ]
    for perms, path, pk in objects:
        far, missing = client.get(path.format(pk)), client.get(path.format(999_999))
        if not any(role_has(role, p) for p in perms):
            assert far.status_code == missing.status_code == 403, path
            continue
        assert far.status_code == missing.status_code == 404, (path, far.status_code)
        assert far.content == missing.content


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_refused_writes_change_nothing(world, role):
    client = login(world[role])
    task, check, spot = world["far_task"], world["far_check"], world["far_round"]
    before = _state()
    attempts = [
        client.post(f"/oversight/feedback/{task.pk}/fix/", {"value": "07"}),
        client.post(f"/oversight/feedback/{task.pk}/dispute/", {"note": "登记无误"}),
        client.post(f"/oversight/feedback/{task.pk}/decide/", {"decision": "overruled", "note": "改", "value": "07"}),
        client.post(
            "/oversight/feedback/open/",
            {
                "object_type": "registry.person",
                "object_id": world["far_stay"].person_id,
                "field": "ethnicity",
                "found_value": "07",
                "note": "错",
            },
        ),
        client.post(f"/oversight/checks/{check.pk}/", {"v_ethnicity": "corrected", "f_ethnicity": "07"}),
        client.post(f"/oversight/checks/rounds/{spot.pk}/close/"),
    ]
    for response in attempts:
        assert response.status_code in (403, 404), (response.request["PATH_INFO"], response.status_code)
    assert _state() == before


def _wrong_form(person_id, field="ethnicity", found="07", note="民族与身份证不符"):
    return {
        "object_type": "registry.person",
        "object_id": person_id,
        "field": field,
        "person_id": person_id,
        "found_value": found,
        "note": note,
    }


def test_this_field_is_wrong_from_the_person_page_to_the_collector_and_back(world):
    person = world["stays"]["c1"][0].person
    station, collector = login(world[Role.STATION_OFFICER]), login(world["c1"])
    page = station.get(f"/registry/people/{person.pk}/").content.decode()
    assert 'data-testid="wrong-ethnicity"' in page and 'action="/oversight/feedback/open/"' in page
    assert 'data-testid="wrong-ethnicity"' not in collector.get(f"/registry/people/{person.pk}/").content.decode()
    response = station.post("/oversight/feedback/open/", _wrong_form(person.pk))
    assert response.status_code == 302 and response["Location"] == f"/registry/people/{person.pk}/"
    task = FeedbackTask.objects.exclude(pk=world["far_task"].pk).get()
    history = station.get(f"/registry/people/{person.pk}/").content.decode()
    assert 'data-testid="feedback-history"' in history and task.number in history
    # A second report on the same field is refused with a message; nothing more is opened.
    station.post("/oversight/feedback/open/", _wrong_form(person.pk, found="04"))
    assert FeedbackTask.objects.count() == 2
    # The collector sees it in their list and fixes it from the task page.
    mine = collector.get("/oversight/feedback/").content.decode()
    assert f"/oversight/feedback/{task.pk}/" in mine
    assert 'data-testid="fix-form"' in collector.get(f"/oversight/feedback/{task.pk}/").content.decode()
    assert login(world["c2"]).get(f"/oversight/feedback/{task.pk}/").status_code == 404
    fixed = collector.post(f"/oversight/feedback/{task.pk}/fix/", {"value": "", "note": "已核对"})
    assert fixed.status_code == 302
    task.refresh_from_db()
    person.refresh_from_db()
    assert task.status == FeedbackTask.Status.FIXED and person.ethnicity == "07"  # empty value: the one found
    history = station.get(f"/registry/people/{person.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "fixed" in history and 'data-testid="field-history"' in history


def test_a_dispute_through_the_pages_and_the_officers_list(world):
    person = world["stays"]["c2"][0].person
    station = login(world[Role.STATION_OFFICER])
    station.post("/oversight/feedback/open/", _wrong_form(person.pk, field="hukou_address", found="四川省南充市甲村"))
    task = FeedbackTask.objects.exclude(pk=world["far_task"].pk).get()
    c2 = login(world["c2"])
    assert c2.post(f"/oversight/feedback/{task.pk}/dispute/", {"note": ""}).status_code == 302
    task.refresh_from_db()
    assert task.status == FeedbackTask.Status.OPEN  # a dispute needs a reason
    c2.post(f"/oversight/feedback/{task.pk}/dispute/", {"note": "户口簿上就是这个地址"})
    task.refresh_from_db()
    assert task.status == FeedbackTask.Status.DISPUTED
    listing = station.get("/oversight/feedback/all/", {"status": "disputed"}).content.decode()
    assert task.number in listing
    assert task.number not in station.get("/oversight/feedback/all/", {"status": "fixed"}).content.decode()
    assert 'data-testid="decide-form"' in station.get(f"/oversight/feedback/{task.pk}/").content.decode()
    station.post(f"/oversight/feedback/{task.pk}/decide/", {"decision": "upheld", "note": "核对户口簿"})
    task.refresh_from_db()
    person.refresh_from_db()
    assert task.status == FeedbackTask.Status.UPHELD and person.hukou_address == "四川省南充市某镇某村"
