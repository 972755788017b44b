"""The permit pages' main flows with the test client, as a station officer works them."""

import datetime as dt
import re

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.permits.models import Application, Permit

from .conftest import ALL_MATERIALS

D = dt.date


def test_a_station_officer_takes_an_application_with_a_missing_photo_to_handover(
    users, permit_policies, resident, clock
):
    station = users[Role.STATION_OFFICER]
    person = resident("钱多多", arrived_on=D(2025, 1, 10))
    clock(D(2025, 3, 3))
    client = login(station)
    # From the person page, and by search from the permits pages.
    person_page = client.get(f"/registry/people/{person.pk}/").content.decode()
    assert f"/permits/applications/new/?person_id={person.pk}" in person_page
    found = client.get("/permits/applications/new/", {"q": "钱多多"}).content.decode()
    assert f"?person_id={person.pk}" in found and person.doc_number not in found
    form = client.get("/permits/applications/new/", {"person_id": person.pk}).content.decode()
    assert 'data-testid="checklist"' in form and "临时居住证" in form and "2025-01-10" in form
    materials = [m for m in ALL_MATERIALS if m != "photo"]
    response = client.post(
        "/permits/applications/new/",
        {
            "person_id": person.pk,
            "stay_id": person.stay.pk,
            "condition": "employment",
            "permit_kind": "temporary",
            "materials": materials,
        },
    )
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/permits/applications/{application.pk}/"
    assert application.status == "incomplete" and application.notice_missing == ["photo"]
    notice = client.get(f"/permits/applications/{application.pk}/notice/").content.decode()
    assert "本人相片" in notice and application.number in notice and person.doc_number not in notice
    assert "居民身份证" not in notice.split('data-testid="missing"')[1]  # only what is missing
    client.post(f"/permits/applications/{application.pk}/complete/", {"materials": ["photo"]})
    application.refresh_from_db()
    assert (application.status, application.due_on) == ("accepted", D(2025, 3, 24))
    detail = client.get(f"/permits/applications/{application.pk}/").content.decode()
    assert 'data-testid="eligible"' in detail and "2025-03-24" in detail
    client.post(f"/permits/applications/{application.pk}/decide/", {"decision": "approve", "reasons": ""})
    application.refresh_from_db()
    assert application.status == "approved"
    issued = client.post(f"/permits/applications/{application.pk}/issue/")
    permit = Permit.objects.get()
    assert issued["Location"] == f"/permits/{permit.pk}/"
    page = client.get(f"/permits/{permit.pk}/").content.decode()
    assert permit.number in page and "成都市公安局锦江区分局" in page
    assert 'data-testid="print"' in page
    printed = client.post(f"/permits/{permit.pk}/print/")
    assert printed.status_code == 302
    client.post(f"/permits/{permit.pk}/handover/")
    permit.refresh_from_db()
    assert permit.status == "valid" and permit.printed_at and permit.handed_over_at
    trail = client.get(f"/permits/{permit.pk}/").content.decode().split('data-testid="trail"')[1]
    steps = re.findall(r'data-step="(\w+)"', trail)
    assert steps == ["received", "notice", "accepted", "approved", "issued", "printed", "handed_over"]


def test_an_overdue_application_is_marked_on_the_list_its_page_and_the_index(users, permit_policies, resident, clock):
    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2024, 1, 1))
    clock(D(2025, 9, 26))
    client = login(station)
    client.post(
        "/permits/applications/new/",
        {
            "person_id": person.pk,
            "stay_id": person.stay.pk,
            "condition": "employment",
            "permit_kind": "temporary",
            "materials": list(ALL_MATERIALS),
        },
    )
    application = Application.objects.get()
    assert application.due_on == D(2025, 10, 23)
    assert 'data-testid="overdue"' not in client.get("/permits/applications/").content.decode()
    clock(D(2025, 10, 24))
    assert 'data-testid="overdue"' in client.get("/permits/applications/").content.decode()
    assert 'data-testid="overdue"' in client.get(f"/permits/applications/{application.pk}/").content.decode()
    index = client.get("/permits/").content.decode()
    assert '<td class="num" data-testid="count-overdue"><span class="badge" style="color:#b3261e">1</span>' in index
    listed = client.get("/permits/applications/", {"overdue": "on"}).content.decode()
    assert application.number in listed


def test_an_approval_the_engine_does_not_support_is_refused_on_the_page(users, permit_policies, resident, clock):
    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2025, 8, 20))
    clock(D(2025, 9, 1))
    client = login(station)
    client.post(
        "/permits/applications/new/",
        {
            "person_id": person.pk,
            "stay_id": person.stay.pk,
            "condition": "employment",
            "permit_kind": "temporary",
            "materials": list(ALL_MATERIALS),
        },
    )
    application = Application.objects.get()
    detail = client.get(f"/permits/applications/{application.pk}/").content.decode()
    assert 'data-testid="ineligible"' in detail and "2025-09-20" in detail
    response = client.post(
        f"/permits/applications/{application.pk}/decide/", {"decision": "approve", "reasons": ""}, follow=True
    )
    assert "2025-09-20" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "accepted"


@pytest.fixture
def formal_permit(users, permit_policies, resident, clock):
    """A Chengdu formal permit issued and handed over on 2 June 2025."""
    from liuguan.permits.services import (
        application_decide,
        application_receive,
        permit_handover,
        permit_issue,
        permit_print,
    )

    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2023, 1, 1))
    clock(D(2025, 6, 2))
    application = application_receive(
        actor=station,
        person_id=person.pk,
        stay_id=person.stay.pk,
        permit_kind="formal",
        condition="employment",
        materials={**ALL_MATERIALS, "social_insurance_record": True},
    )
    application_decide(actor=station, application_id=application.pk, approve=True, reasons="")
    permit = permit_issue(actor=station, application_id=application.pk)
    permit_print(actor=station, permit_id=permit.pk)
    return permit_handover(actor=station, permit_id=permit.pk)


def test_endorse_revoke_and_replace_from_the_permit_page(users, formal_permit, clock):
    station, street = users[Role.STATION_OFFICER], users[Role.STREET_OFFICER]
    client = login(station)
    clock(D(2026, 5, 20))
    page = client.get(f"/permits/{formal_permit.pk}/").content.decode()
    assert "2026-05-02" in page and "2026-06-02" in page  # the endorsement window
    index = client.get("/permits/endorsements/").content.decode()
    assert formal_permit.number in index
    client.post(f"/permits/{formal_permit.pk}/endorse/", {"on": ""})
    assert formal_permit.endorsements.count() == 1
    replaced = client.post(f"/permits/{formal_permit.pk}/replace/", {"reason": "损坏换领"})
    new = Permit.objects.exclude(pk=formal_permit.pk).get()
    assert replaced["Location"] == f"/permits/{new.pk}/"
    old_page = client.get(f"/permits/{formal_permit.pk}/").content.decode()
    assert new.number in old_page and 'data-testid="endorse"' not in old_page
    login(street).post(f"/permits/{new.pk}/revoke/", {"reason": "骗领"})
    new.refresh_from_db()
    assert new.status == "revoked"
    # A collector may not see permits at all.
    assert login(users[Role.COLLECTOR]).get(f"/permits/{new.pk}/").status_code == 403
