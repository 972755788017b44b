"""The licence pre-check (一证先行): a department learns yes or no, and only the fields its grant names; nothing
without a grant; a person living outside the grant's area is answered false as the residence check does.
"""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.exchange.catalogue import load_catalogue
from liuguan.exchange.models import Dataset
from liuguan.exchange.tests.factories import key_for, make_department, make_grant, make_subsystem
from liuguan.permits.models import MarriageCertificate

pytestmark = pytest.mark.django_db
URL = "/api/exchange/verify/marriage_certificate"
RESIDENCE = "/api/exchange/verify/residence"
CASE = {"purpose": "营业执照办理前核验", "case_ref": "SC-2026-001", "end_user": "clerk-3"}


@pytest.fixture
def subsystem(divisions):
    if not Dataset.objects.filter(code="marriage_certificate").exists():
        load_catalogue()
    return make_subsystem(make_department("market", "市场监督管理局"), code="licensing")


@pytest.fixture
def client(subsystem):
    return api_client(key_for(subsystem))


def certificate(person, *, days_left=300, number="HY-0001", status="valid"):
    today = china_today()
    return MarriageCertificate.objects.create(
        person=person,
        number=number,
        issuer="南部县卫生健康局",
        issuer_code="511321",
        issued_on=today - dt.timedelta(days=60),
        valid_until=today + dt.timedelta(days=days_left),
        marital_status="20",
        children=2,
        status=status,
    )


def post(client, person, url=URL, **extra):
    response = client.post(
        url,
        {"doc_type": person.doc_type, "doc_number": person.doc_number, **CASE, **extra},
        content_type="application/json",
    )
    assert_matches_openapi("POST", url, response)
    return response


def last_log():
    return AuditEvent.objects.filter(action="exchange.verify").latest("id")


def test_the_dataset_is_in_the_catalogue(subsystem):
    names = [f["name"] for f in Dataset.objects.get(code="marriage_certificate").fields]
    assert names == ["valid", "valid_until", "issued_on", "issuer", "issuer_code", "number"]


@pytest.mark.parametrize(
    "grant",
    [
        None,
        {"dataset": "residence", "fields": ["resides"], "ways": ["verify"]},
        {"dataset": "marriage_certificate", "fields": ["valid"], "ways": ["query"]},
    ],
)
def test_without_a_verify_grant_on_the_dataset_it_is_refused_and_logged(subsystem, client, person_in, grant):
    certificate(person_in)
    if grant:
        make_grant(subsystem, grant["dataset"], fields=grant["fields"], ways=grant["ways"])
    response = post(client, person_in)
    assert response.status_code == 403
    assert "answer" not in response.json()
    event = last_log()
    assert (event.changes["dataset"], event.changes["outcome"]) == ("marriage_certificate", "refused")


def test_a_grant_without_fields_learns_only_yes_or_no(subsystem, client, person_in, person_out):
    make_grant(subsystem, "marriage_certificate", fields=["valid"], ways=["verify"])
    certificate(person_in)
    response = post(client, person_in)
    assert (response.status_code, response.json()) == (200, {"answer": True})
    event = last_log()
    assert (event.changes["dataset"], event.changes["outcome"], event.object_id) == (
        "marriage_certificate",
        "answered",
        str(person_in.pk),
    )
    assert event.purpose == CASE["purpose"]
    assert post(client, person_out).json() == {"answer": False}  # no certificate


def test_fields_are_added_only_as_granted_and_only_to_a_yes(subsystem, client, person_in, person_out):
    make_grant(subsystem, "marriage_certificate", fields=["valid", "valid_until", "issuer"], ways=["verify"])
    held = certificate(person_in)
    body = post(client, person_in).json()
    assert body == {"answer": True, "valid_until": held.valid_until.isoformat(), "issuer": "南部县卫生健康局"}
    assert post(client, person_out).json() == {"answer": False}


@pytest.mark.parametrize(("days_left", "status"), [(-1, "valid"), (300, "revoked")])
def test_an_expired_or_revoked_certificate_is_no(subsystem, client, person_in, days_left, status):
    make_grant(subsystem, "marriage_certificate", fields=["valid", "issuer"], ways=["verify"])
    certificate(person_in, days_left=days_left, status=status)
    assert post(client, person_in).json() == {"answer": False}


def test_a_person_living_outside_the_area_is_no_as_for_residence(subsystem, client, person_in):
    # The grant covers Mianyang; the person lives in Chengdu and holds a valid certificate.
    make_grant(subsystem, "marriage_certificate", fields=["valid", "issuer"], ways=["verify"], area="5107")
    make_grant(subsystem, "residence", fields=["resides"], ways=["verify"], area="5107")
    certificate(person_in)
    assert post(client, person_in).json() == {"answer": False}
    assert post(client, person_in, url=RESIDENCE).json() == {"answer": False}
    # Asking about an area outside the grant is refused, as the residence check refuses it.
    assert post(client, person_in, area_code="5101").status_code == 403
    assert post(client, person_in, url=RESIDENCE, area_code="5101").status_code == 403


def test_an_unknown_document_is_no_and_a_bad_one_names_the_field(subsystem, client, person_in):
    make_grant(subsystem, "marriage_certificate", fields=["valid"], ways=["verify"])
    response = client.post(URL, {"doc_type": "citizen_id", "doc_number": "", **CASE}, content_type="application/json")
    assert response.status_code == 422
    assert [d["loc"][-1] for d in response.json()["detail"]] == ["doc_number"]


def test_officers_cannot_call_it(users, person_in, token_for):
    certificate(person_in)
    officer = api_client(token_for(users[Role.STATION_OFFICER]))
    response = officer.post(URL, {"doc_number": person_in.doc_number, **CASE}, content_type="application/json")
    assert response.status_code == 403
    assert "answer" not in response.json()


def test_it_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "post" in paths[URL]
    assert "get" in paths["/api/permits/rights/{person_id}"]
    assert "get" in paths["/api/permits/settlement/{person_id}"]
