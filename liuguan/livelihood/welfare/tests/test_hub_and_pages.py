"""The hub shares medical cover and remote-treatment filings only under a grant; figures per area on a hand-made
case; pages and API answer 404 outside the officer's scope; the portal's own-records view."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import _person, api_client, citizen_id, login
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.exchange.catalogue import load_catalogue
from liuguan.exchange.models import Dataset
from liuguan.exchange.tests.factories import key_for, make_department, make_grant, make_subsystem
from liuguan.livelihood.welfare import selectors, services
from liuguan.livelihood.welfare.models import JobSeeker, MedicalCover, Training, TrainingEnrolment

pytestmark = pytest.mark.django_db
TODAY = china_today()
CASE = {"purpose": "异地就医结算核验", "case_ref": "YB-2026-01", "end_user": "clerk-1"}
QUERY = "/api/livelihood/welfare/hub/query/medical_cover"
REPORT = "/api/livelihood/welfare/hub/report/medical_cover"


@pytest.fixture
def bureau(divisions):
    if not Dataset.objects.filter(code="medical_cover").exists():
        load_catalogue()
    return make_subsystem(make_department("medical_security", "医疗保障局"), code="settlement")


def _cover(person):
    return MedicalCover.objects.create(person=person, scheme="resident", insured_place="511321", valid_from=TODAY)


def test_the_catalogue_holds_the_two_datasets(bureau):
    assert {"medical_cover", "remote_treatment"} <= set(Dataset.objects.values_list("code", flat=True))


def test_query_answers_granted_fields_with_a_grant_and_refuses_without(bureau, person_in, person_far):
    _cover(person_in)
    _cover(person_far)
    client = api_client(key_for(bureau))
    body = {"doc_number": person_in.doc_number, **CASE}
    refused = client.post(QUERY, body, content_type="application/json")
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(changes__dataset="medical_cover", changes__outcome="refused").exists()

    make_grant(bureau, "medical_cover", fields=["scheme", "insured_place"], ways=["query"], area="5101")
    answered = client.post(QUERY, body, content_type="application/json")
    assert_matches_openapi("POST", QUERY, answered)
    assert answered.json()["records"] == [{"scheme": "resident", "insured_place": "511321"}]
    # A person with no stay inside the grant's area is not shared.
    outside = client.post(QUERY, {**body, "doc_number": person_far.doc_number}, content_type="application/json")
    assert outside.status_code == 200 and outside.json()["records"] == []
    # A grant on one dataset opens no other.
    filings = client.post(QUERY.replace("medical_cover", "remote_treatment"), body, content_type="application/json")
    assert filings.status_code == 403


def test_verify_says_yes_only_for_a_covered_person_living_in_the_area(bureau, person_in, person_far):
    url = "/api/livelihood/welfare/hub/verify/medical_cover"
    _cover(person_in)
    _cover(person_far)
    client = api_client(key_for(bureau))
    body = {"doc_number": person_in.doc_number, **CASE}
    assert client.post(url, body, content_type="application/json").status_code == 403
    make_grant(bureau, "medical_cover", fields=[], ways=["verify"], area="5101")
    yes = client.post(url, body, content_type="application/json")
    assert_matches_openapi("POST", url, yes)
    assert yes.json() == {"answer": True}
    far = client.post(url, {**body, "doc_number": person_far.doc_number}, content_type="application/json")
    assert far.json() == {"answer": False}
    MedicalCover.objects.filter(person=person_in).update(scheme="none")
    assert client.post(url, body, content_type="application/json").json() == {"answer": False}


def test_a_department_reports_its_own_cover_under_a_grant(bureau, person_in):
    client = api_client(key_for(bureau))
    row = {"doc_number": person_in.doc_number, "scheme": "employee", "reference": "YB001", "valid_from": "2025-01-01"}
    body = {"rows": [row], **CASE}
    assert client.post(REPORT, body, content_type="application/json").status_code == 403
    assert MedicalCover.objects.count() == 0

    make_grant(bureau, "medical_cover", ways=["report"], area="51")
    first = client.post(REPORT, body, content_type="application/json")
    assert_matches_openapi("POST", REPORT, first)
    assert first.json()[0]["status"] == "created"
    again = client.post(REPORT, {**body, "rows": [{**row, "insured_place": "5101"}]}, content_type="application/json")
    assert again.json()[0]["status"] == "updated"
    cover = MedicalCover.objects.get()
    assert (cover.source, cover.department_id, cover.insured_place) == ("department", "medical_security", "5101")
    bad = client.post(REPORT, {**body, "rows": [{**row, "scheme": "gold"}]}, content_type="application/json")
    assert bad.json()[0]["problems"][0]["rule"] == "welfare.scheme"


def test_the_feed_shares_cover_changes_under_a_feed_grant(bureau, users, person_in):
    make_grant(bureau, "medical_cover", fields=["scheme"], ways=["feed"], area="5101")
    services.medical_cover_record(
        actor=users[Role.STATION_OFFICER], person_id=person_in.pk, scheme="none", valid_from=TODAY
    )
    response = api_client(key_for(bureau)).get("/api/exchange/feeds/medical_cover")
    assert response.status_code == 200, response.content
    assert [e["values"] for e in response.json()["events"]] == [{"scheme": "none"}]


def test_figures_per_area_on_a_hand_made_case(users, divisions):
    # Two communities of one township (督院街), one of another (春熙路): the county officer sees per township.
    a, b, c = "510104001001", "510104001002", "510104002001"
    people = [
        _person(f"人{i}", citizen_id("511321", "19900101", f"{i:03d}"), code, pinyin=f"r{i}", initials=f"r{i}")
        for i, code in enumerate([a, a, b, c])
    ]
    for person, status in zip(people, ["employed", "seeking", "employed", "withdrawn"], strict=True):
        JobSeeker.objects.create(
            person=person, community_id=person.stays.get().community_id, registered_on=TODAY, status=status
        )
    training = Training.objects.create(
        name="安全培训", provider="x", kind="safety", community_id=c, starts_on=TODAY, ends_on=TODAY
    )
    for person, status in zip(people[:3], ["completed", "enrolled", "dropped"], strict=True):
        TrainingEnrolment.objects.create(
            person=person, training=training, community_id=c, enrolled_on=TODAY, status=status
        )
    rows = {r.code: r for r in selectors.work_figures(user=users[Role.COUNTY_OFFICER])}
    assert (rows["510104001"].job_seekers, rows["510104001"].placed) == (3, 2)
    assert (rows["510104002"].job_seekers, rows["510104002"].placed) == (1, 0)
    assert (rows["510104002"].enrolments, rows["510104002"].completions) == (3, 1)
    assert rows["510104001"].enrolments == 0
    # The station officer of community a sees only a.
    assert [(r.code, r.job_seekers) for r in selectors.work_figures(user=users[Role.STATION_OFFICER])] == [(a, 2)]


def test_pages_work_inside_and_404_outside(users, person_in, person_far, token_for):
    desk = users[Role.STATION_OFFICER]
    _cover(person_in)
    far_cover = _cover(person_far)
    training = Training.objects.create(
        name="创业培训",
        provider="x",
        kind="entrepreneurship",
        community_id="500101001001",
        starts_on=TODAY,
        ends_on=TODAY,
    )
    client = login(desk)
    page = client.get(f"/registry/people/{person_in.pk}/")
    assert page.status_code == 200 and b'data-testid="welfare-panel"' in page.content
    assert client.get("/livelihood/welfare/").status_code == 200
    assert client.get(f"/livelihood/welfare/trainings/{training.pk}/").status_code == 404
    posted = client.post(
        f"/livelihood/welfare/people/{person_far.pk}/cover/", {"scheme": "none", "valid_from": "2025-01-01"}
    )
    assert posted.status_code == 404
    api = api_client(token_for(desk))
    assert api.get(f"/api/livelihood/welfare/persons/{person_in.pk}/covers").status_code == 200
    assert api.get(f"/api/livelihood/welfare/persons/{person_far.pk}/covers").status_code == 404
    assert MedicalCover.objects.filter(pk=far_cover.pk).count() == 1
    assert login(users[Role.COLLECTOR]).get("/livelihood/welfare/").status_code == 403


def test_desk_enrols_and_completes_through_the_api(users, person_in, token_for):
    desk = users[Role.STATION_OFFICER]
    training = Training.objects.create(
        name="电工",
        provider="x",
        kind="vocational",
        community_id="510104001001",
        starts_on=TODAY,
        ends_on=TODAY + dt.timedelta(days=5),
    )
    api = api_client(token_for(desk))
    url = f"/api/livelihood/welfare/trainings/{training.pk}/enrolments"
    enrolled = api.post(url, {"person_id": person_in.pk}, content_type="application/json")
    assert_matches_openapi("POST", url, enrolled)
    done_url = f"/api/livelihood/welfare/enrolments/{enrolled.json()['id']}/completion"
    done = api.post(done_url, {"certificate_number": "C1"}, content_type="application/json")
    assert done.json()["status"] == "completed"


def test_welfare_for_person_gives_only_the_persons_own_records(users, person_in, person_far):
    _cover(person_in)
    _cover(person_far)
    mine = selectors.welfare_for_person(person=person_in)
    assert [c.person_id for c in mine["cover"]] == [person_in.pk]
    assert set(mine) == {"cover", "filings", "job_seekers", "trainings"}
