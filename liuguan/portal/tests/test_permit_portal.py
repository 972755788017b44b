import datetime as dt

from liuguan.core.models import AuditEvent
from liuguan.permits.models import Application

from .conftest import migrant_for


def test_a_migrant_applies_for_their_own_permit_through_the_portal(person_in, permit_policies, clock):
    clock(dt.date(2025, 9, 26))
    migrant = migrant_for(person_in, person_in.phone)
    from liuguan.conftest import login

    client = login(migrant)
    stay = person_in.stays.get()
    page = client.get("/portal/permit/").content.decode()
    assert 'data-testid="permit-form"' in page and 'data-testid="right"' in page

    response = client.post(
        "/api/portal/permit-applications",
        {"stay_id": stay.pk, "permit_kind": "temporary", "condition": "employment"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    application = Application.objects.get()
    assert (application.person, application.channel) == (person_in, Application.Channel.PORTAL)
    # Nothing can be brought online: the single notice lists what to bring.
    assert application.status == Application.Status.INCOMPLETE
    assert AuditEvent.objects.filter(action="permit_application.receive", actor_id=migrant.pk).exists()
    rows = client.get("/api/portal/requests").json()
    assert [r["kind"] for r in rows] == ["permit"]


def test_the_applicant_is_told_when_the_station_accepts_a_portal_application(person_in, permit_policies, users):
    from liuguan.accounts.roles import Role
    from liuguan.permits.policy import policy_from
    from liuguan.permits.services.applications import application_complete, application_submit_own
    from liuguan.portal.models import PortalNotification

    migrant = migrant_for(person_in, person_in.phone)
    stay = person_in.stays.get()
    application = application_submit_own(
        actor=migrant, stay_id=stay.pk, permit_kind="temporary", condition="employment"
    )
    brought = {code: True for code, _ in policy_from(application.policy).materials}

    application_complete(actor=users[Role.STATION_OFFICER], application_id=application.pk, materials=brought)

    note = PortalNotification.objects.get(person=person_in)
    assert application.number in note.title


def test_a_migrant_without_person_cannot_apply(divisions, permit_policies):
    from liuguan.conftest import login

    client = login(migrant_for(None, "13600000077"))
    response = client.post(
        "/api/portal/permit-applications",
        {"stay_id": 1, "permit_kind": "temporary", "condition": "employment"},
        content_type="application/json",
    )
    assert response.status_code == 403
