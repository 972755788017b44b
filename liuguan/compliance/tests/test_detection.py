"""Breach detection on hand-made cases: reported in time, never reported, reported late, no filing, twice."""

import datetime as dt

import pytest

from liuguan.compliance.detection import detect_breaches
from liuguan.compliance.models import Breach
from liuguan.core.audit import audit_verify
from liuguan.core.models import AuditEvent

from . import factories_agreements as make

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)
ARRIVED = dt.date(2025, 6, 1)
# The shipped policies: in Chengdu (5101) a landlord has 2 days; employers 7 and hotels 1 everywhere.
LANDLORD_DAYS, EMPLOYER_DAYS, HOTEL_DAYS = 2, 7, 1


@pytest.fixture
def filed_house(divisions):
    home = make.house()
    make.filing(home, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31))
    return home


def test_a_tenant_reported_in_time_is_no_breach(filed_house):
    tenant = make.person()
    make.stay(tenant, house=filed_house, arrived_on=ARRIVED)
    make.report("landlord", tenant, house=filed_house, occurred_on=ARRIVED, deadline_days=2, lag_days=1)

    assert detect_breaches(as_of=AS_OF) == {"missing_report": 0, "late_report": 0}
    assert not Breach.objects.exists()


def test_a_tenant_the_landlord_never_reported_is_a_missing_report(filed_house):
    tenant = make.person()
    stay = make.stay(tenant, house=filed_house, arrived_on=ARRIVED)

    counts = detect_breaches(as_of=AS_OF)

    assert counts == {"missing_report": 1, "late_report": 0}
    breach = Breach.objects.get()
    assert (breach.kind, breach.channel, breach.person, breach.stay, breach.house) == (
        "missing_report",
        "landlord",
        tenant,
        stay,
        filed_house,
    )
    assert breach.due_on == ARRIVED + dt.timedelta(days=LANDLORD_DAYS)
    assert breach.occurred_on == breach.due_on + dt.timedelta(days=1)
    assert breach.community_id == filed_house.community_id
    assert AuditEvent.objects.filter(action="breach.detect").count() == 1
    assert audit_verify().ok


def test_the_landlord_still_has_time_until_the_deadline_has_passed(filed_house):
    tenant = make.person()
    make.stay(tenant, house=filed_house, arrived_on=AS_OF - dt.timedelta(days=LANDLORD_DAYS))

    assert detect_breaches(as_of=AS_OF)["missing_report"] == 0
    assert detect_breaches(as_of=AS_OF + dt.timedelta(days=1))["missing_report"] == 1


def test_a_late_report_is_a_late_breach_and_not_a_missing_one(filed_house):
    tenant = make.person()
    make.stay(tenant, house=filed_house, arrived_on=ARRIVED)
    late = make.report("landlord", tenant, house=filed_house, occurred_on=ARRIVED, deadline_days=2, lag_days=6)

    assert detect_breaches(as_of=AS_OF) == {"missing_report": 0, "late_report": 1}
    breach = Breach.objects.get()
    assert (breach.kind, breach.report, breach.person, breach.house) == ("late_report", late, tenant, filed_house)
    assert breach.due_on == dt.date(2025, 6, 3)


def test_no_filing_means_no_landlord_breach(divisions):
    unfiled = make.house()
    make.stay(make.person(), house=unfiled, arrived_on=ARRIVED)

    assert detect_breaches(as_of=AS_OF)["missing_report"] == 0


def test_a_filing_that_ended_before_the_arrival_does_not_cover_the_stay(divisions):
    home = make.house()
    make.filing(home, starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2025, 12, 31), status="ended",
                ended_on=dt.date(2025, 3, 1))  # fmt: skip
    make.stay(make.person(), house=home, arrived_on=ARRIVED)

    assert detect_breaches(as_of=AS_OF)["missing_report"] == 0


def test_the_duty_runs_from_the_filing_when_the_tenant_was_there_first(divisions):
    home = make.house()
    make.filing(home, starts_on=dt.date(2025, 6, 20), ends_on=dt.date(2026, 6, 19))
    make.stay(make.person(), house=home, arrived_on=dt.date(2025, 5, 1))

    detect_breaches(as_of=AS_OF)

    assert Breach.objects.get().due_on == dt.date(2025, 6, 22)


def test_stays_the_landlord_registered_need_no_report(filed_house):
    make.stay(make.person(), house=filed_house, arrived_on=ARRIVED, source="landlord")

    assert detect_breaches(as_of=AS_OF)["missing_report"] == 0


def test_running_twice_records_nothing_new(filed_house):
    tenant = make.person()
    make.stay(tenant, house=filed_house, arrived_on=ARRIVED)
    make.report("landlord", make.person(), house=filed_house, occurred_on=ARRIVED, deadline_days=2, lag_days=4)

    first = detect_breaches(as_of=AS_OF)
    second = detect_breaches(as_of=AS_OF + dt.timedelta(days=3))

    assert first == {"missing_report": 1, "late_report": 1}
    assert second == {"missing_report": 0, "late_report": 0}
    assert Breach.objects.count() == 2
    assert AuditEvent.objects.filter(action="breach.detect").count() == 1


def test_each_breach_is_held_against_the_agreement_in_force_on_its_date(divisions):
    covered, lapsed = make.house(), make.house()
    for home in (covered, lapsed):
        make.filing(home, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31))
        make.stay(make.person(), house=home, arrived_on=ARRIVED)
    signed = make.agreement("landlord", covered, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31))
    make.agreement("landlord", lapsed, starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2024, 12, 31))

    detect_breaches(as_of=AS_OF)

    assert Breach.objects.get(house=covered).agreement == signed
    assert Breach.objects.get(house=lapsed).agreement is None
    assert list(signed.breaches.all()) == [Breach.objects.get(house=covered)]


def test_an_employee_the_employer_never_reported_is_a_missing_report(divisions):
    firm = make.employer()
    reported, unreported = make.person(), make.person()
    make.stay(reported, employer=firm, arrived_on=ARRIVED)
    make.stay(unreported, employer=firm, arrived_on=ARRIVED)
    make.report("employer", reported, employer=firm, occurred_on=ARRIVED, deadline_days=7, lag_days=2)
    contract = make.agreement("employer", firm, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31))

    assert detect_breaches(as_of=AS_OF)["missing_report"] == 1
    breach = Breach.objects.get()
    assert (breach.channel, breach.person, breach.employer, breach.agreement) == (
        "employer",
        unreported,
        firm,
        contract,
    )
    assert breach.due_on == ARRIVED + dt.timedelta(days=EMPLOYER_DAYS)


def test_a_guest_the_hotel_never_reported_is_a_missing_report(divisions):
    hotel = make.lodging()
    guest = make.person()
    make.stay(guest, lodging=hotel, arrived_on=ARRIVED)
    make.stay(make.person(), lodging=hotel, arrived_on=ARRIVED, source="hotel")

    assert detect_breaches(as_of=AS_OF) == {"missing_report": 1, "late_report": 0}
    breach = Breach.objects.get()
    assert (breach.channel, breach.person, breach.lodging) == ("hotel", guest, hotel)
    assert breach.due_on == ARRIVED + dt.timedelta(days=HOTEL_DAYS)
