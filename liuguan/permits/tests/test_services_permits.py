"""A permit's life through the real services: issue, print, handover, endorsement window, suspension by the
nightly refresh, late endorsement, upgrade, replacement and revocation."""

import datetime as dt
import re

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import OUT_COMMUNITY
from liuguan.core.errors import Conflict, InvalidInput, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.permits.models import Application, Endorsement, Permit
from liuguan.permits.selectors import endorsements_due, permits_overview
from liuguan.permits.services import (
    application_complete,
    application_decide,
    application_receive,
    permit_endorse,
    permit_handover,
    permit_issue,
    permit_print,
    permit_replace,
    permit_revoke,
    permit_upgrade,
    permits_refresh,
    state_of,
)

from .conftest import ALL_MATERIALS

D = dt.date


@pytest.fixture
def mianyang_station(divisions):
    return User.objects.create(
        username="mianyang_station", role=Role.STATION_OFFICER, division=divisions[OUT_COMMUNITY]
    )


def _granted(actor, person, *, permit_kind, condition="employment", materials=None) -> Application:
    application = application_receive(
        actor=actor,
        person_id=person.pk,
        stay_id=person.stay.pk,
        permit_kind=permit_kind,
        condition=condition,
        materials=materials or ALL_MATERIALS,
    )
    return application_decide(actor=actor, application_id=application.pk, approve=True, reasons="")


def _in_hand(actor, person, **kw) -> Permit:
    permit = permit_issue(actor=actor, application_id=_granted(actor, person, **kw).pk)
    permit_print(actor=actor, permit_id=permit.pk)
    return permit_handover(actor=actor, permit_id=permit.pk)


@pytest.fixture
def national_permit(permit_policies, resident, clock, mianyang_station):
    """A national permit issued and handed over on 15 March 2024 in Mianyang."""
    person = resident(community=OUT_COMMUNITY, arrived_on=D(2023, 6, 1), address="临园路 9 号")
    clock(D(2024, 3, 15))
    return _in_hand(mianyang_station, person, permit_kind="permit")


def test_issue_numbers_names_the_bureau_and_takes_the_term_from_the_kind(users, permit_policies, resident, clock):
    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2025, 1, 10), address="东御河沿街 18 号 3 单元")
    clock(D(2025, 3, 3))
    application = _granted(station, person, permit_kind="temporary")
    permit = permit_issue(actor=station, application_id=application.pk)
    assert re.fullmatch(r"5101042025\d{7}", permit.number) and permit.number.endswith("0000001")
    assert permit.issuer == "成都市公安局锦江区分局"
    assert permit.address == "东御河沿街 18 号 3 单元"
    assert (permit.status, permit.issued_on, permit.counted_from) == ("issued", D(2025, 3, 3), D(2025, 3, 3))
    assert permit.valid_until == D(2026, 3, 2)  # one year for Chengdu's temporary permit
    assert len(permit.token_nonce) >= 16
    with pytest.raises(Conflict):
        permit_issue(actor=station, application_id=application.pk)
    with pytest.raises(InvalidInput) as unprinted:
        permit_handover(actor=station, permit_id=permit.pk)
    assert unprinted.value.problems[0].rule == "permit.not_printed"
    assert permits_overview(user=station)["unprinted"] == 1
    permit_print(actor=station, permit_id=permit.pk)
    permit_print(actor=station, permit_id=permit.pk)
    assert permits_overview(user=station)["not_handed_over"] == 1
    permit = permit_handover(actor=station, permit_id=permit.pk)
    assert permit.status == "valid" and permit.handed_over_at is not None
    actions = [(e.action, e.actor_id) for e in permit.events.order_by("id")]
    assert actions == [(a, station.pk) for a in ("issued", "printed", "reprinted", "handed_over")]
    audited = AuditEvent.objects.filter(object_type="permits.permit", object_id=str(permit.pk))
    assert list(audited.values_list("action", flat=True)) == [
        "permit.issue",
        "permit.print",
        "permit.print",
        "permit.handover",
    ]


def test_the_national_permit_has_no_term_and_numbers_run_per_county_and_year(
    national_permit, resident, mianyang_station
):
    assert national_permit.valid_until is None
    assert national_permit.issuer == "绵阳市公安局涪城区分局"
    assert national_permit.number == "51070320240000001"
    second = resident(community=OUT_COMMUNITY, arrived_on=D(2023, 6, 1))
    assert _in_hand(mianyang_station, second, permit_kind="permit").number == "51070320240000002"


def test_endorsement_is_taken_only_in_the_month_before_the_full_year(national_permit, clock, mianyang_station):
    clock(D(2025, 2, 14))
    with pytest.raises(InvalidInput) as early:
        permit_endorse(actor=mianyang_station, permit_id=national_permit.pk)
    assert early.value.problems[0].rule == "permit.endorse_window"
    assert "2025-02-15" in early.value.problems[0].message and "2025-03-15" in early.value.problems[0].message
    assert not Endorsement.objects.exists()
    clock(D(2025, 3, 3))
    assert [p.pk for p in endorsements_due(user=mianyang_station)] == [national_permit.pk]
    endorsement = permit_endorse(actor=mianyang_station, permit_id=national_permit.pk)
    assert (endorsement.on, endorsement.late) == (D(2025, 3, 3), False)
    assert endorsements_due(user=mianyang_station) == []
    national_permit.refresh_from_db()
    assert (national_permit.status, national_permit.counted_from) == ("valid", D(2024, 3, 15))
    state = state_of(national_permit, D(2025, 6, 1))
    assert (state.years_held, state.window_opens, state.window_closes) == (1, D(2026, 2, 15), D(2026, 3, 15))


def test_the_nightly_refresh_suspends_an_overdue_permit_once_and_a_late_endorsement_restores_it(
    national_permit, clock, mianyang_station
):
    assert permits_refresh(D(2025, 3, 15))["suspended"] == 0  # the last day of the year: still valid
    counts = permits_refresh(D(2025, 3, 16))
    assert (counts["checked"], counts["suspended"]) == (1, 1)
    national_permit.refresh_from_db()
    assert national_permit.status == "suspended"
    assert permits_refresh(D(2025, 3, 16)) == {"checked": 1, "suspended": 0, "expired": 0, "restored": 0}
    assert national_permit.events.filter(action="suspended").count() == 1
    assert AuditEvent.objects.filter(action="permit.refresh").count() == 1
    clock(D(2025, 5, 20))
    assert permits_overview(user=mianyang_station)["suspended"] == 1
    late = permit_endorse(actor=mianyang_station, permit_id=national_permit.pk)
    assert late.late is True
    national_permit.refresh_from_db()
    assert (national_permit.status, national_permit.counted_from) == ("valid", D(2025, 5, 20))
    assert national_permit.events.order_by("id").last().action == "restored"
    # The years now count from the late endorsement: the next window is a year from it.
    assert permits_refresh(D(2026, 5, 20))["suspended"] == 0
    assert permits_refresh(D(2026, 5, 21))["suspended"] == 1


def test_a_temporary_permit_expires_after_its_year(users, permit_policies, resident, clock):
    station = users[Role.STATION_OFFICER]
    clock(D(2025, 3, 3))
    permit = _in_hand(station, resident(arrived_on=D(2025, 1, 10)), permit_kind="temporary")
    with pytest.raises(InvalidInput) as not_endorsed:
        permit_endorse(actor=station, permit_id=permit.pk)
    assert not_endorsed.value.problems[0].rule == "permit.not_endorsed_kind"
    assert permits_refresh(D(2026, 3, 2))["expired"] == 0
    assert permits_refresh(D(2026, 3, 3))["expired"] == 1
    permit.refresh_from_db()
    assert permit.status == "expired"


def test_a_temporary_holder_upgrades_after_a_year_and_the_temporary_permit_retires(
    users, permit_policies, resident, clock
):
    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2025, 1, 10))
    clock(D(2025, 3, 3))
    temporary = _in_hand(station, person, permit_kind="temporary")
    clock(D(2026, 1, 9))
    with pytest.raises(InvalidInput) as early:
        permit_upgrade(actor=station, permit_id=temporary.pk)
    assert early.value.problems[0].rule == "permit.residence_too_short"
    clock(D(2026, 1, 10))
    upgrade = permit_upgrade(actor=station, permit_id=temporary.pk)
    # The materials on file carry over; Chengdu's formal permit also needs the social-insurance record.
    assert (upgrade.kind, upgrade.permit_kind, upgrade.replaces_id) == ("upgrade", "formal", temporary.pk)
    assert (upgrade.status, upgrade.notice_missing) == ("incomplete", ["social_insurance"])
    application_complete(actor=station, application_id=upgrade.pk, materials={"social_insurance_record": True})
    application_decide(actor=station, application_id=upgrade.pk, approve=True, reasons="")
    formal = permit_issue(actor=station, application_id=upgrade.pk)
    assert (formal.kind, formal.valid_until) == ("formal", D(2031, 1, 9))
    temporary.refresh_from_db()
    assert (temporary.status, temporary.replaced_by_id) == ("upgraded", formal.pk)


def test_a_replacement_gets_a_new_number_and_nonce_and_keeps_the_years(national_permit, clock, mianyang_station):
    clock(D(2025, 3, 1))
    permit_endorse(actor=mianyang_station, permit_id=national_permit.pk)
    clock(D(2025, 6, 1))
    old_nonce = national_permit.token_nonce
    with pytest.raises(InvalidInput):
        permit_replace(actor=mianyang_station, permit_id=national_permit.pk, reason="  ")
    new = permit_replace(actor=mianyang_station, permit_id=national_permit.pk, reason="遗失补领")
    national_permit.refresh_from_db()
    assert (national_permit.status, national_permit.replaced_by_id) == ("replaced", new.pk)
    assert new.number != national_permit.number and new.token_nonce != old_nonce
    assert (new.status, new.issued_on, new.counted_from) == ("issued", D(2025, 6, 1), D(2024, 3, 15))
    assert new.application.kind == "replacement" and new.application.replaces_id == national_permit.pk
    assert list(new.endorsements.values_list("on", flat=True)) == [D(2025, 3, 1)]
    # The replacement carries on the original's yearly cycle: its next window is still mid-February to mid-March.
    state = state_of(new, D(2025, 6, 1))
    assert (state.window_opens, state.window_closes) == (D(2026, 2, 15), D(2026, 3, 15))
    with pytest.raises(InvalidInput):
        permit_replace(actor=mianyang_station, permit_id=national_permit.pk, reason="再次遗失")


def test_revocation_ends_the_permit_and_only_the_allowed_roles_may(users, national_permit, mianyang_station):
    with pytest.raises(PermissionDenied):
        permit_revoke(actor=users[Role.CITY_OFFICER], permit_id=national_permit.pk, reason="x")
    revoked = permit_revoke(actor=mianyang_station, permit_id=national_permit.pk, reason="以虚假材料骗领")
    assert (revoked.status, revoked.revoked_reason) == ("revoked", "以虚假材料骗领")
    assert revoked.revoked_at is not None
    with pytest.raises(InvalidInput):
        permit_revoke(actor=mianyang_station, permit_id=national_permit.pk, reason="again")
    with pytest.raises(InvalidInput):
        permit_endorse(actor=mianyang_station, permit_id=national_permit.pk)
    assert permits_refresh(D(2030, 1, 1))["checked"] == 0  # revoked permits are left alone
    assert AuditEvent.objects.filter(action="permit.revoke", object_id=str(national_permit.pk)).count() == 1


def test_a_print_run_and_a_batch_issue_number_each_card_and_audit_once(users, permit_policies, resident, clock):
    from liuguan.permits.services import permits_handover, permits_issue, permits_print

    station = users[Role.STATION_OFFICER]
    clock(D(2025, 9, 1))
    approved = [_granted(station, resident(arrived_on=D(2025, 1, 1)), permit_kind="temporary") for _ in range(3)]
    permits = permits_issue(actor=station, application_ids=[a.pk for a in approved])
    assert [p.number[-7:] for p in permits] == ["0000001", "0000002", "0000003"]
    assert AuditEvent.objects.filter(action="permit.issue").count() == 1
    with pytest.raises(InvalidInput) as unprinted:
        permits_handover(actor=station, permit_ids=[p.pk for p in permits])
    assert {p.field for p in unprinted.value.problems} == {"0.permit", "1.permit", "2.permit"}
    permits_print(actor=station, permit_ids=[p.pk for p in permits])
    handed = permits_handover(actor=station, permit_ids=[p.pk for p in permits])
    assert {p.status for p in handed} == {"valid"}
    assert [e.action for e in handed[0].events.order_by("id")] == ["issued", "printed", "handed_over"]
