"""The portal's links to schooling (H6) and legal aid (H7): a migrant applies for their own child, asks for
themself, sees the status; another migrant reaches neither the child nor the requests."""

import datetime as dt

import pytest

from liuguan.conftest import citizen_id
from liuguan.registry.models import Person

schooling = pytest.importorskip("liuguan.livelihood.schooling.services")
legalaid = pytest.importorskip("liuguan.livelihood.legalaid.services")


@pytest.fixture
def child(person_in):
    from liuguan.livelihood.schooling.models import Guardianship

    kid = Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("511321", "20180901", "112"),
        name="张小明",
        name_pinyin="zhangxiaoming",
        name_initials="zxm",
        sex="M",
        birth_date=dt.date(2018, 9, 1),
        hukou_code="511321",
    )
    Guardianship.objects.create(child=kid, guardian=person_in, relation="father")
    return kid


def test_a_parent_applies_for_their_childs_school_place(migrant_client, child, person_in):
    page = migrant_client.get("/portal/school/").content.decode()
    assert child.name in page

    response = migrant_client.post("/portal/school/", {"child": child.pk, "level": "primary"})

    assert response.status_code == 302, response.content.decode()
    rows = migrant_client.get("/api/portal/requests").json()
    assert [r["kind"] for r in rows] == ["school"]
    notes = migrant_client.get("/api/portal/notifications").json()
    assert notes and notes[0]["title"]


def test_another_migrant_cannot_apply_for_someone_elses_child(other_client, child):
    page = other_client.get("/portal/school/").content.decode()
    assert child.name not in page
    response = other_client.post("/portal/school/", {"child": child.pk, "level": "primary"})
    assert response.status_code == 200  # the choice is not theirs: the form refuses it
    from liuguan.livelihood.schooling.models import SchoolApplication

    assert not SchoolApplication.objects.exists()


def test_a_migrant_asks_for_legal_aid_and_sees_it_only_in_their_own_requests(migrant_client, other_client):
    response = migrant_client.post("/portal/legal-aid/", {"kind": "wage_arrears", "description": "老板欠薪三个月"})

    assert response.status_code == 302, response.content.decode()
    assert [r["kind"] for r in migrant_client.get("/api/portal/requests").json()] == ["legal_aid"]
    assert other_client.get("/api/portal/requests").json() == []
