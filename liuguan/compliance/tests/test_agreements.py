"""Responsibility agreements: signing inside scope, derived states, renewal, termination, renewal reminders."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.compliance.codes import AgreementState
from liuguan.compliance.models import AgreementReminder, ResponsibilityAgreement
from liuguan.compliance.selectors_agreements import agreement_list, agreements_expired, reminders_open
from liuguan.compliance.services.agreements import (
    agreement_reminders_raise,
    agreement_renew,
    agreement_sign,
    agreement_state,
    agreement_terminate,
    term_end,
)
from liuguan.conftest import OUT_COMMUNITY
from liuguan.core.audit import audit_verify
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent

from . import factories_agreements as make

pytestmark = pytest.mark.django_db

TODAY = china_today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def rules(exc) -> set[str]:
    return {p.rule for p in exc.value.problems}


@pytest.mark.parametrize(
    ("starts", "ends", "terminated", "state"),
    [
        (-100, 100, None, AgreementState.VALID),
        (-100, 30, None, AgreementState.VALID),
        (-100, 29, None, AgreementState.EXPIRING),
        (-100, 0, None, AgreementState.EXPIRING),
        (-100, -1, None, AgreementState.EXPIRED),
        (1, 300, None, AgreementState.NOT_STARTED),
        (-100, 100, 0, AgreementState.TERMINATED),
        (-100, 100, 5, AgreementState.VALID),
    ],
)
def test_state_follows_the_term_and_the_termination(starts, ends, terminated, state, divisions):
    agreement = ResponsibilityAgreement(
        starts_on=days(starts), ends_on=days(ends), terminated_on=None if terminated is None else days(terminated)
    )
    assert agreement_state(agreement, TODAY) == state


def test_the_state_filter_agrees_with_the_state_of_each_agreement(users):
    for starts, ends, terminated in [(-100, 100, None), (-100, 10, None), (-400, -35, None), (5, 300, None),
                                     (-100, 100, -1)]:  # fmt: skip
        make.agreement("landlord", make.house(), starts_on=days(starts), ends_on=days(ends),
                       terminated_on=None if terminated is None else days(terminated))  # fmt: skip
    officer = users[Role.STATION_OFFICER]
    for state in AgreementState:
        listed = agreement_list(user=officer, state=state, today=TODAY)
        assert len(listed) == 1, state
        assert listed[0].state == state


def test_a_station_officer_signs_for_a_rental_house_in_the_community(users):
    officer = users[Role.STATION_OFFICER]
    home = make.house(owner="王房东")

    agreement = agreement_sign(actor=officer, kind="landlord", house_id=home.pk, signatory="王房东", signed_on=days(-3))

    assert agreement.number == f"L-510104-{days(-3).year}-00001"
    assert (agreement.starts_on, agreement.ends_on) == (days(-3), term_end(days(-3), 12))
    assert agreement.party_name == "王房东"
    assert agreement.template.kind == "landlord" and agreement.template.active
    assert agreement_state(agreement, TODAY) == AgreementState.VALID
    event = AuditEvent.objects.get(action="agreement.sign")
    assert event.object_id == str(agreement.pk) and event.changes["signatory"] == "王房东"
    second = agreement_sign(actor=officer, kind="hotel", lodging_id=make.lodging().pk, signatory="店长",
                            signed_on=days(-3))  # fmt: skip
    assert second.number == f"H-510104-{days(-3).year}-00001"
    assert audit_verify().ok


def test_a_twelve_month_term_ends_the_day_before_the_anniversary():
    assert term_end(dt.date(2025, 3, 1), 12) == dt.date(2026, 2, 28)
    assert term_end(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 28)


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.DEPARTMENT_USER])
def test_roles_without_the_right_cannot_sign(role, users):
    home = make.house()
    with pytest.raises(PermissionDenied):
        agreement_sign(actor=users[role], kind="landlord", house_id=home.pk, signatory="甲", signed_on=TODAY)
    assert not ResponsibilityAgreement.objects.exists()


def test_police_sign_inside_their_district_but_not_outside(users):
    police = users[Role.POLICE]
    inside, outside = make.house(), make.house(OUT_COMMUNITY)

    agreement_sign(actor=police, kind="landlord", house_id=inside.pk, signatory="甲", signed_on=TODAY)
    with pytest.raises(InvalidInput) as exc:
        agreement_sign(actor=police, kind="landlord", house_id=outside.pk, signatory="甲", signed_on=TODAY)

    assert rules(exc) == {"agreement.party_in_scope"}
    assert ResponsibilityAgreement.objects.count() == 1


def test_bad_input_names_each_field_and_rule(users):
    officer = users[Role.STATION_OFFICER]
    owned = make.house(kind="owned")
    with pytest.raises(InvalidInput) as exc:
        agreement_sign(actor=officer, kind="landlord", house_id=owned.pk, signatory=" ", signed_on=days(2))
    assert rules(exc) == {"agreement.house_rented", "agreement.signatory_required", "agreement.signed_not_future"}
    with pytest.raises(InvalidInput) as exc:
        agreement_sign(actor=officer, kind="employer", house_id=make.house().pk, signatory="甲", signed_on=TODAY)
    assert rules(exc) == {"agreement.one_party", "agreement.party_required"}
    with pytest.raises(InvalidInput) as exc:
        agreement_sign(actor=officer, kind="hotel", lodging_id=make.lodging().pk, signatory="甲", signed_on=days(-5),
                       starts_on=days(-6))  # fmt: skip
    assert rules(exc) == {"agreement.starts_after_signing"}
    assert not ResponsibilityAgreement.objects.exists()


def test_one_party_holds_one_agreement_at_a_time(users):
    officer = users[Role.STATION_OFFICER]
    home = make.house()
    first = agreement_sign(actor=officer, kind="landlord", house_id=home.pk, signatory="甲", signed_on=days(-10))

    with pytest.raises(Conflict) as exc:
        agreement_sign(actor=officer, kind="landlord", house_id=home.pk, signatory="甲", signed_on=TODAY)

    assert exc.value.rule == "agreement.one_at_a_time" and exc.value.existing_id == first.pk


def test_renewal_starts_the_day_after_the_old_one_ends_and_names_it(users):
    officer = users[Role.STATION_OFFICER]
    home = make.house()
    old = make.agreement("landlord", home, starts_on=days(-350), ends_on=days(14))
    agreement_reminders_raise(today=TODAY)

    renewal = agreement_renew(actor=officer, agreement_id=old.pk, signatory="甲", signed_on=TODAY)

    assert renewal.renews == old
    assert renewal.starts_on == days(15) and renewal.ends_on == term_end(days(15), 12)
    assert agreement_state(renewal, TODAY) == AgreementState.NOT_STARTED
    assert AgreementReminder.objects.get(agreement=old).done_at is not None
    with pytest.raises(InvalidInput) as exc:
        agreement_renew(actor=officer, agreement_id=old.pk, signatory="甲", signed_on=TODAY)
    assert rules(exc) == {"agreement.already_renewed"}


def test_a_lapsed_agreement_renewed_late_starts_on_the_signing_day(users):
    old = make.agreement("hotel", make.lodging(), starts_on=days(-400), ends_on=days(-35))

    renewal = agreement_renew(actor=users[Role.STREET_OFFICER], agreement_id=old.pk, signatory="乙", signed_on=TODAY)

    assert renewal.starts_on == TODAY


def test_an_agreement_outside_scope_cannot_be_renewed_or_terminated(users):
    far = make.agreement("landlord", make.house(OUT_COMMUNITY), starts_on=days(-10), ends_on=days(300))
    officer = users[Role.STATION_OFFICER]
    with pytest.raises(NotFound):
        agreement_renew(actor=officer, agreement_id=far.pk, signatory="甲", signed_on=TODAY)
    with pytest.raises(NotFound):
        agreement_terminate(actor=officer, agreement_id=far.pk, terminated_on=TODAY, reason="停租")
    far.refresh_from_db()
    assert far.terminated_on is None and not far.renewals.exists()


def test_termination_ends_the_agreement_on_its_day(users):
    agreement = make.agreement("employer", make.employer(), starts_on=days(-100), ends_on=days(200))

    agreement_terminate(actor=users[Role.STATION_OFFICER], agreement_id=agreement.pk, terminated_on=days(3),
                        reason="企业注销")  # fmt: skip
    agreement.refresh_from_db()

    assert agreement_state(agreement, days(2)) == AgreementState.VALID
    assert agreement_state(agreement, days(3)) == AgreementState.TERMINATED
    assert AuditEvent.objects.get(action="agreement.terminate").changes["reason"] == "企业注销"
    with pytest.raises(InvalidInput) as exc:
        agreement_terminate(actor=users[Role.STATION_OFFICER], agreement_id=agreement.pk, terminated_on=days(4),
                            reason="再次")  # fmt: skip
    assert rules(exc) == {"agreement.terminated"}


def test_reminders_are_raised_once_for_agreements_ending_within_thirty_days(users):
    ending = make.agreement("landlord", make.house(), starts_on=days(-340), ends_on=days(20))
    make.agreement("landlord", make.house(), starts_on=days(-300), ends_on=days(45))  # not yet
    make.agreement("landlord", make.house(), starts_on=days(-340), ends_on=days(20), terminated_on=days(-1))
    renewed_home = make.house()
    renewed = make.agreement("landlord", renewed_home, starts_on=days(-340), ends_on=days(10))
    make.agreement("landlord", renewed_home, starts_on=days(11), ends_on=days(375))
    make.agreement("landlord", make.house(OUT_COMMUNITY), starts_on=days(-340), ends_on=days(5))

    first = agreement_reminders_raise(today=TODAY)
    again = agreement_reminders_raise(today=TODAY)

    assert first == {"raised": 2, "closed": 0} and again == {"raised": 0, "closed": 0}
    assert not AgreementReminder.objects.filter(agreement=renewed).exists()
    shown = reminders_open(user=users[Role.STATION_OFFICER], today=TODAY)
    assert [r.agreement for r in shown] == [ending]
    assert shown[0].days_left == 20
    assert AuditEvent.objects.filter(action="agreement.reminders").count() == 1


def test_a_reminder_closes_once_its_agreement_has_ended(users):
    ending = make.agreement("hotel", make.lodging(), starts_on=days(-340), ends_on=days(3))
    agreement_reminders_raise(today=TODAY)

    assert agreement_reminders_raise(today=days(4)) == {"raised": 0, "closed": 1}
    assert AgreementReminder.objects.get(agreement=ending).done_at is not None
    assert reminders_open(user=users[Role.STATION_OFFICER], today=days(4)) == []


def test_expired_agreements_are_those_ended_without_renewal_inside_scope(users):
    lapsed = make.agreement("landlord", make.house(), starts_on=days(-400), ends_on=days(-35))
    home = make.house()
    make.agreement("landlord", home, starts_on=days(-400), ends_on=days(-35))
    make.agreement("landlord", home, starts_on=days(-34), ends_on=days(330))  # signed again
    make.agreement("landlord", make.house(), starts_on=days(-400), ends_on=days(-35), terminated_on=days(-100))
    make.agreement("landlord", make.house(), starts_on=days(-10), ends_on=days(300))
    make.agreement("landlord", make.house(OUT_COMMUNITY), starts_on=days(-400), ends_on=days(-35))

    assert agreements_expired(user=users[Role.STATION_OFFICER], today=TODAY) == [lapsed]
    assert agreements_expired(user=users[Role.PROVINCE_ADMIN], today=TODAY)[0].state == AgreementState.EXPIRED
    assert len(agreements_expired(user=users[Role.PROVINCE_ADMIN], today=TODAY)) == 2
