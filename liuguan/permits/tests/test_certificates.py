"""Recording marriage-and-childbearing certificates: who may, the validity checks, one number once, and scope."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.core.scoping import scoped
from liuguan.permits.models import MarriageCertificate
from liuguan.permits.selectors_rights import certificate_list
from liuguan.permits.services.certificates import certificate_record

pytestmark = pytest.mark.django_db
D = dt.date


def record(actor, person, **kw):
    values = {
        "number": "HY-511321-2025-0001",
        "issuer": "南部县卫生健康局",
        "issuer_code": "511321",
        "issued_on": D(2025, 3, 1),
        "valid_until": D(2026, 2, 28),
        "marital_status": "20",
        "children": 1,
    }
    values.update(kw)
    return certificate_record(actor=actor, person_id=person.pk, **values)


def test_a_station_officer_records_a_certificate_and_it_is_audited(users, person_in):
    station = users[Role.STATION_OFFICER]
    certificate = record(station, person_in, number=" hy-511321-2025-0001 ")
    assert (certificate.number, certificate.recorded_by, certificate.status) == (
        "HY-511321-2025-0001",
        station,
        "valid",
    )
    event = AuditEvent.objects.get(action="certificate.record")
    assert (event.object_id, event.actor_id, event.changes["person_id"]) == (
        str(certificate.pk),
        station.pk,
        person_in.pk,
    )


def test_the_last_valid_day_must_come_after_the_issue_date(users, person_in):
    with pytest.raises(InvalidInput) as caught:
        record(users[Role.STATION_OFFICER], person_in, valid_until=D(2025, 3, 1))
    assert [(p.field, p.rule) for p in caught.value.problems] == [("valid_until", "certificate.valid_after_issue")]
    assert not MarriageCertificate.objects.exists()


def test_a_number_is_recorded_once(users, person_in, person_out):
    record(users[Role.STATION_OFFICER], person_in)
    with pytest.raises(Conflict) as caught:
        record(users[Role.STREET_OFFICER], person_in)
    assert caught.value.rule == "certificate.number_unique"
    assert MarriageCertificate.objects.count() == 1


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.COUNTY_OFFICER, Role.DEPARTMENT_USER, Role.POLICE])
def test_only_desk_officers_record(users, person_in, role):
    with pytest.raises(PermissionDenied):
        record(users[role], person_in)
    assert not MarriageCertificate.objects.exists()
    assert not AuditEvent.objects.filter(action="certificate.record").exists()


def test_a_person_out_of_scope_is_missing(users, person_out):
    with pytest.raises(NotFound):
        record(users[Role.STATION_OFFICER], person_out)
    assert not MarriageCertificate.objects.exists()


def test_certificates_are_visible_where_the_person_is_in_one_query(
    users, person_in, person_out, django_assert_num_queries
):
    mine = record(users[Role.STATION_OFFICER], person_in)
    MarriageCertificate.objects.create(
        person=person_out,
        number="HY-522401-0002",
        issuer="x",
        issuer_code="522401",
        issued_on=D(2025, 1, 1),
        valid_until=D(2026, 1, 1),
    )
    county = users[Role.COUNTY_OFFICER]
    with django_assert_num_queries(1):
        assert list(scoped(MarriageCertificate.objects.all(), county)) == [mine]
    assert scoped(MarriageCertificate.objects.all(), users[Role.PROVINCE_ADMIN]).count() == 2
    assert certificate_list(user=county, person_id=person_out.pk) == []
    assert not scoped(MarriageCertificate.objects.all(), None).exists()


def test_the_list_marks_validity_on_the_day(users, person_in):
    record(users[Role.STATION_OFFICER], person_in)
    [row] = certificate_list(user=users[Role.STATION_OFFICER], person_id=person_in.pk, on=D(2026, 3, 1))
    assert row.is_valid is False
    [row] = certificate_list(user=users[Role.STATION_OFFICER], person_id=person_in.pk, on=D(2026, 2, 28))
    assert row.is_valid is True
