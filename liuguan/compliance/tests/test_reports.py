"""Reports by landlords, employers and hotels: stays created, corroborated or disputed, deadlines, foreigners."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, citizen_id
from liuguan.core.audit import audit_verify
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.registry.models import FieldChange, Person, Stay
from liuguan.registry.services import PersonInput

from ..codes import DisagreementStatus, ReportOutcome
from ..models import Disagreement, DutyReport, ForeignDocument
from ..services import ForeignDocInput, ReportInput, disagreement_resolve, duty_report
from .conftest import make_person, make_stay, tenant_data

pytestmark = pytest.mark.django_db
TODAY = china_today()


def days_ago(n):
    return TODAY - dt.timedelta(days=n)


def rules(exc) -> set[str]:
    return {p.rule for p in exc.value.problems}


def test_landlord_arrival_creates_a_stay_with_source_landlord_at_the_house(landlord_a, house_a):
    done = duty_report(
        actor=landlord_a,
        report=ReportInput(
            kind="arrival", occurred_on=days_ago(1), person=tenant_data(), house_id=house_a.pk, room="302"
        ),
    )
    stay = Stay.objects.get(person__name="租客甲")
    assert done.outcome == ReportOutcome.CREATED and done.report.stay == stay
    assert stay.source_channel == "landlord" and stay.house == house_a and stay.community_id == IN_COMMUNITY
    assert stay.address == "东御河沿街 1 号 302" and stay.arrived_on == days_ago(1) and stay.departed_on is None
    assert stay.person.source_channel == "landlord"
    assert audit_verify().ok


def test_chengdu_landlords_have_two_days_and_the_lag_is_counted(landlord_a, house_a):
    on_time = duty_report(
        actor=landlord_a,
        report=ReportInput(kind="arrival", occurred_on=days_ago(2), person=tenant_data(seq="101"), house_id=house_a.pk),
    ).report
    late = duty_report(
        actor=landlord_a,
        report=ReportInput(kind="arrival", occurred_on=days_ago(5), person=tenant_data(seq="103"), house_id=house_a.pk),
    ).report
    assert (on_time.deadline_days, on_time.lag_days, on_time.late) == (2, 2, False)
    assert (late.deadline_days, late.lag_days, late.late) == (2, 5, True)


def test_employers_fall_back_to_the_province_deadline_of_seven_days(employer_user, employer):
    ok = duty_report(
        actor=employer_user,
        report=ReportInput(kind="arrival", occurred_on=days_ago(7), person=tenant_data(seq="105")),
    )
    late = duty_report(
        actor=employer_user,
        report=ReportInput(kind="arrival", occurred_on=days_ago(8), person=tenant_data(seq="107")),
    )
    assert (ok.report.deadline_days, ok.report.late) == (7, False)
    assert (late.report.deadline_days, late.report.late) == (7, True)
    assert ok.stay.employer == employer and ok.stay.source_channel == "employer" and ok.stay.reason == "work"


def test_a_document_on_the_register_is_that_person_never_a_second_one(landlord_a, house_a, person_in):
    done = duty_report(
        actor=landlord_a,
        report=ReportInput(
            kind="arrival",
            occurred_on=days_ago(1),
            person=PersonInput(doc_type="citizen_id", doc_number=person_in.doc_number.lower(), name="张叁"),
            house_id=house_a.pk,
        ),
    )
    assert Person.objects.filter(doc_number=person_in.doc_number).count() == 1
    assert done.report.person == person_in
    assert done.warnings  # the name differs from the register's


def test_a_collectors_record_is_never_overwritten_silently(landlord_a, house_a, station):
    # given a collector registered the tenant at no house, on another date
    tenant = make_person("租客乙", citizen_id("511321", "19960606", "222"))
    stay = make_stay(tenant, arrived=days_ago(20))
    # when the landlord reports the tenant at the house since 3 days ago
    done = duty_report(
        actor=landlord_a,
        report=ReportInput(
            kind="arrival",
            occurred_on=days_ago(3),
            person_id=None,
            person=PersonInput(doc_type="citizen_id", doc_number=tenant.doc_number, name="租客乙"),
            house_id=house_a.pk,
        ),
    )
    # then the stay is unchanged and each differing field is an open disagreement
    stay.refresh_from_db()
    assert done.outcome == ReportOutcome.DISAGREED
    assert stay.house_id is None and stay.arrived_on == days_ago(20) and stay.source_channel == "collector"
    found = {d.field: (d.registered_value, d.reported_value) for d in Disagreement.objects.filter(stay=stay)}
    assert found == {"house": (None, house_a.pk), "arrived_on": (days_ago(20).isoformat(), days_ago(3).isoformat())}
    assert all(d.registered_channel == "collector" for d in Disagreement.objects.all())
    # the officer accepts the house and keeps the date
    house_item = Disagreement.objects.get(field="house")
    date_item = Disagreement.objects.get(field="arrived_on")
    disagreement_resolve(actor=station, disagreement_id=house_item.pk, accept=True, note="核实属实")
    disagreement_resolve(actor=station, disagreement_id=date_item.pk, accept=False, note="以采集为准")
    stay.refresh_from_db()
    assert stay.house == house_a and stay.arrived_on == days_ago(20)
    change = FieldChange.objects.get(object_id=stay.pk, field="house_id")
    assert (change.old_value, change.new_value, change.channel) == (None, house_a.pk, "landlord")
    statuses = dict(Disagreement.objects.values_list("field", "status"))
    assert statuses == {"house": DisagreementStatus.ACCEPTED, "arrived_on": DisagreementStatus.KEPT}
    with pytest.raises(InvalidInput) as exc:
        disagreement_resolve(actor=station, disagreement_id=house_item.pk, accept=False)
    assert rules(exc) == {"disagreement.resolved"}
    assert audit_verify().ok


def test_the_same_facts_corroborate_the_register(landlord_a, house_a):
    tenant = make_person("租客丙", citizen_id("511321", "19970707", "333"))
    stay = make_stay(tenant, arrived=days_ago(4), house=house_a)
    done = duty_report(
        actor=landlord_a,
        report=ReportInput(
            kind="arrival",
            occurred_on=days_ago(4),
            person=PersonInput(doc_type="citizen_id", doc_number=tenant.doc_number, name="租客丙"),
            house_id=house_a.pk,
        ),
    )
    assert done.outcome == ReportOutcome.CORROBORATED and done.report.stay == stay
    assert not Disagreement.objects.exists() and Stay.objects.count() == 1


def test_departure_closes_the_stay_at_that_place(landlord_a, house_a):
    arrival = duty_report(
        actor=landlord_a,
        report=ReportInput(kind="arrival", occurred_on=days_ago(9), person=tenant_data(), house_id=house_a.pk),
    )
    done = duty_report(
        actor=landlord_a,
        report=ReportInput(
            kind="departure",
            occurred_on=days_ago(1),
            person_id=arrival.report.person_id,
            house_id=house_a.pk,
            destination="绵阳",
        ),
    )
    stay = Stay.objects.get()
    assert done.outcome == ReportOutcome.DEPARTED and stay.departed_on == days_ago(1) and stay.destination == "绵阳"


def test_departure_of_someone_the_register_never_had_is_refused(hotel_user, lodging):
    with pytest.raises(InvalidInput) as exc:
        duty_report(actor=hotel_user, report=ReportInput(kind="departure", occurred_on=TODAY, person=tenant_data()))
    assert rules(exc) == {"duty.no_stay"}
    assert not DutyReport.objects.exists()


def test_departure_from_a_place_the_register_does_not_know_is_a_disagreement(hotel_user, lodging, person_in):
    done = duty_report(
        actor=hotel_user,
        report=ReportInput(
            kind="departure",
            occurred_on=TODAY,
            person=PersonInput(doc_type="citizen_id", doc_number=person_in.doc_number, name=person_in.name),
        ),
    )
    assert done.outcome == ReportOutcome.DISAGREED
    assert person_in.stays.get().departed_on is None
    assert set(Disagreement.objects.values_list("field", flat=True)) == {"lodging", "departed_on"}


def test_landlords_report_only_for_their_own_houses(landlord_a, house_b, house_other):
    for house in (house_b, house_other):
        with pytest.raises(InvalidInput) as exc:
            duty_report(
                actor=landlord_a,
                report=ReportInput(kind="arrival", occurred_on=TODAY, person=tenant_data(), house_id=house.pk),
            )
        assert rules(exc) == {"duty.own_house"}
    assert not Stay.objects.exists() and not Person.objects.filter(name="租客甲").exists()


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.STATION_OFFICER, Role.POLICE])
def test_staff_do_not_file_duty_reports(users, house_a, role):
    with pytest.raises(PermissionDenied):
        duty_report(
            actor=users[role],
            report=ReportInput(kind="arrival", occurred_on=TODAY, person=tenant_data(), house_id=house_a.pk),
        )


def test_bad_input_names_each_field_and_rule(landlord_a, house_a):
    with pytest.raises(InvalidInput) as exc:
        duty_report(
            actor=landlord_a,
            report=ReportInput(
                kind="arrival",
                occurred_on=TODAY + dt.timedelta(days=1),
                person=PersonInput(doc_type="citizen_id", doc_number="510104199001011234", name=""),
                house_id=house_a.pk,
            ),
        )
    fields = {p.field for p in exc.value.problems}
    assert {"occurred_on", "doc_number", "name"} <= fields
    assert "duty.date_future" in rules(exc)


def _guest(number="E12345678", nationality="USA", foreign=None):
    return PersonInput(
        doc_type="passport",
        doc_number=number,
        name="JOHN SMITH",
        sex="M",
        birth_date=dt.date(1988, 8, 8),
        nationality=nationality,
    ), foreign


def test_a_foreign_guest_needs_a_visa_or_permit_and_its_expiry_is_kept(hotel_user, lodging):
    person, _ = _guest()
    with pytest.raises(InvalidInput) as exc:
        duty_report(actor=hotel_user, report=ReportInput(kind="arrival", occurred_on=TODAY, person=person))
    assert rules(exc) == {"foreign.document_required"}
    visa = ForeignDocInput(kind="visa", number="v123", expires_on=TODAY + dt.timedelta(days=20))
    done = duty_report(
        actor=hotel_user, report=ReportInput(kind="arrival", occurred_on=TODAY, person=person, foreign=visa, room="8")
    )
    assert done.stay.lodging == lodging and done.stay.reason == "travel" and done.stay.source_channel == "hotel"
    document = ForeignDocument.objects.get()
    assert (document.kind, document.number, document.expires_on) == ("visa", "V123", TODAY + dt.timedelta(days=20))
    # A later report of the same visa with a new expiry updates it, never a second row.
    visa.expires_on = TODAY + dt.timedelta(days=50)
    duty_report(actor=hotel_user, report=ReportInput(kind="departure", occurred_on=TODAY, person=person, foreign=visa))
    assert ForeignDocument.objects.get().expires_on == TODAY + dt.timedelta(days=50)


def test_a_visa_for_a_chinese_citizen_is_refused(hotel_user, lodging):
    visa = ForeignDocInput(kind="visa", number="1", expires_on=TODAY)
    with pytest.raises(InvalidInput) as exc:
        duty_report(
            actor=hotel_user, report=ReportInput(kind="arrival", occurred_on=TODAY, person=tenant_data(), foreign=visa)
        )
    assert rules(exc) == {"foreign.not_foreigner"}


def test_disagreements_are_resolved_by_desk_officers_in_scope(landlord_a, house_a, users, divisions):
    tenant = make_person("租客丁", citizen_id("511321", "19980808", "444"))
    make_stay(tenant, arrived=days_ago(3))
    duty_report(
        actor=landlord_a,
        report=ReportInput(
            kind="arrival",
            occurred_on=days_ago(3),
            person=PersonInput(doc_type="citizen_id", doc_number=tenant.doc_number, name="租客丁"),
            house_id=house_a.pk,
        ),
    )
    item = Disagreement.objects.get()
    with pytest.raises(PermissionDenied):
        disagreement_resolve(actor=users[Role.COLLECTOR], disagreement_id=item.pk, accept=True)
    with pytest.raises(PermissionDenied):
        disagreement_resolve(actor=landlord_a, disagreement_id=item.pk, accept=True)
    from liuguan.accounts.models import User

    far = User.objects.create(username="far_station", role=Role.STATION_OFFICER, division=divisions["510107001001"])
    with pytest.raises(NotFound):
        disagreement_resolve(actor=far, disagreement_id=item.pk, accept=True)
    item.refresh_from_db()
    assert item.status == DisagreementStatus.OPEN
