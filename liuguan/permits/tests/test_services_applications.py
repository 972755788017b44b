"""Applications through the real services: policy rows, the single notice, working-day deadlines, decisions."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.permits.models import Application, PermitPolicy
from liuguan.permits.selectors import application_list, permits_overview
from liuguan.permits.services import (
    application_complete,
    application_decide,
    application_receive,
    permit_policies_load,
    policy_for,
    residence_since,
)

from .conftest import ALL_MATERIALS

D = dt.date
OTHER_CHENGDU = "510107001001"  # 武侯区, same city as IN_COMMUNITY (锦江区)


@pytest.fixture
def mianyang_station(divisions):
    """A station officer in Mianyang, where no city profile applies: the national regulations govern."""
    return User.objects.create(
        username="mianyang_station", role=Role.STATION_OFFICER, division=divisions[OUT_COMMUNITY]
    )


def _receive(actor, person, materials=None, **kw):
    kw.setdefault("permit_kind", "temporary")
    kw.setdefault("condition", "employment")
    return application_receive(
        actor=actor,
        person_id=person.pk,
        stay_id=person.stay.pk,
        materials=ALL_MATERIALS if materials is None else materials,
        **kw,
    )


def test_loading_is_idempotent_and_a_changed_policy_needs_a_new_version(permit_policies, monkeypatch):
    assert {(r.code, r.prefix) for r in permit_policies.values()} == {("national", ""), ("chengdu", "5101")}
    assert permit_policies_load() == {"loaded": 0, "unchanged": 2}
    out = io.StringIO()
    call_command("load_permit_policies", stdout=out)
    assert "0 permit policy versions loaded, 2 unchanged" in out.getvalue()
    from liuguan.permits import policy as engine
    from liuguan.permits.services import policies

    real = engine.policy_content

    def edited(code):
        content = real(code)
        if code == "national":
            content["decision_working_days"] = 10
        return content

    monkeypatch.setattr(policies, "policy_content", edited)
    with translation.override("en"), pytest.raises(CommandError, match="new version"):
        call_command("load_permit_policies", stdout=io.StringIO())
    assert PermitPolicy.objects.get(code="national").content["decision_working_days"] == 15


def test_the_longest_prefix_in_force_governs_and_its_latest_version(permit_policies):
    assert policy_for(IN_COMMUNITY, D(2025, 1, 1)).code == "chengdu"
    assert policy_for(OUT_COMMUNITY, D(2025, 1, 1)).code == "national"
    assert policy_for(OUT_COMMUNITY, D(2015, 12, 31)) is None  # before Order 663 was in force
    chengdu = permit_policies["chengdu"]
    newer = PermitPolicy.objects.create(
        code="chengdu",
        version="2026-01-01",
        title=chengdu.title,
        prefix="5101",
        effective_from=D(2026, 1, 1),
        content={**chengdu.content, "version": "2026-01-01"},
    )
    assert policy_for(IN_COMMUNITY, D(2025, 12, 31)).pk == chengdu.pk
    assert policy_for(IN_COMMUNITY, D(2026, 1, 1)).pk == newer.pk


def test_missing_materials_are_listed_in_one_notice_and_completing_starts_the_deadline(
    users, permit_policies, resident, clock
):
    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2024, 1, 1))
    clock(D(2025, 9, 1))
    application = _receive(station, person, materials={"id_card": True}, permit_kind="formal")
    assert application.status == Application.Status.INCOMPLETE
    # Everything missing at once: photo, proof of residence, of employment, and Chengdu's social insurance.
    assert application.notice_missing == ["photo", "residence_proof", "employment_proof", "social_insurance"]
    assert application.notice_at is not None and application.due_on is None
    assert [e.action for e in application.events.all()] == ["received", "notice"]
    assert application.number.startswith("A5101042025")
    # Bringing only part of it writes nothing: the notice already named the rest.
    clock(D(2025, 9, 5))
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        application_complete(actor=station, application_id=application.pk, materials={"photo": True})
    assert refused.value.problems[0].rule == "permit.materials_missing"
    application.refresh_from_db()
    assert application.materials == {"id_card": True} and AuditEvent.objects.count() == before
    done = application_complete(
        actor=station,
        application_id=application.pk,
        materials={"photo": True, "lease": True, "labour_contract": True, "social_insurance_record": True},
    )
    assert done.status == Application.Status.ACCEPTED
    assert done.accepted_on == D(2025, 9, 5)
    assert done.due_on == D(2025, 9, 26)  # 15 working days, counted from acceptance, not receipt
    assert [e.action for e in done.events.all()] == ["received", "notice", "accepted"]
    assert AuditEvent.objects.filter(action="permit_application.complete", object_id=str(done.pk)).exists()


def test_the_fifteen_working_day_deadline_runs_across_national_day_and_then_shows_overdue(
    users, permit_policies, resident, clock
):
    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2024, 1, 1))
    clock(D(2025, 9, 26))
    application = _receive(station, person)
    # 1-8 October off, Sunday 28 September and Saturday 11 October worked.
    assert (application.accepted_on, application.due_on) == (D(2025, 9, 26), D(2025, 10, 23))
    clock(D(2025, 10, 23))
    assert [a.is_overdue for a in application_list(user=station)] == [False]
    assert permits_overview(user=station)["overdue"] == 0
    clock(D(2025, 10, 24))
    assert [a.pk for a in application_list(user=station, overdue=True)] == [application.pk]
    assert permits_overview(user=station)["overdue"] == 1
    decided = application_decide(actor=station, application_id=application.pk, approve=False, reasons="材料存疑")
    assert decided.decision["late"] is True
    assert application_list(user=station, overdue=True) == []


def test_exactly_six_months_of_residence_qualifies_and_one_day_short_is_refused(
    permit_policies, resident, clock, mianyang_station
):
    person = resident(community=OUT_COMMUNITY, arrived_on=D(2025, 3, 15))
    clock(D(2025, 9, 1))
    application = _receive(mianyang_station, person, permit_kind="permit", condition="residence")
    assert application.policy.code == "national"
    clock(D(2025, 9, 14))
    with pytest.raises(InvalidInput) as refused:
        application_decide(actor=mianyang_station, application_id=application.pk, approve=True, reasons="")
    assert [p.rule for p in refused.value.problems] == ["permit.residence_too_short"]
    assert "2025-09-15" in refused.value.problems[0].message
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED and application.decision == {}
    clock(D(2025, 9, 15))
    approved = application_decide(actor=mianyang_station, application_id=application.pk, approve=True, reasons="")
    assert approved.status == Application.Status.APPROVED
    assert approved.decision["kind"] == "permit" and approved.decision["residence_since"] == "2025-03-15"
    assert (approved.decision["policy"], approved.decision["version"]) == ("national", "2016-01-01")
    assert approved.decided_by == mianyang_station
    event = AuditEvent.objects.filter(action="permit_application.decide").latest("id")
    assert event.changes["version"] == "2016-01-01" and event.actor_username == "mianyang_station"


def test_residence_counts_back_over_touching_stays_in_the_same_city_only(divisions, resident):
    moved = resident(
        arrived_on=D(2024, 5, 1),
        earlier=[(OTHER_CHENGDU, D(2023, 1, 1), D(2024, 4, 30)), (OUT_COMMUNITY, D(2020, 1, 1), D(2022, 12, 31))],
    )
    assert residence_since(moved.stay) == D(2023, 1, 1)
    gap = resident(arrived_on=D(2024, 5, 1), earlier=[(OTHER_CHENGDU, D(2023, 1, 1), D(2024, 4, 29))])
    assert residence_since(gap.stay) == D(2024, 5, 1)
    other_city = resident(arrived_on=D(2024, 5, 1), earlier=[(OUT_COMMUNITY, D(2023, 1, 1), D(2024, 4, 30))])
    assert residence_since(other_city.stay) == D(2024, 5, 1)


def test_chengdu_approves_only_the_kind_the_residence_supports(users, permit_policies, resident, clock):
    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2025, 3, 1))
    clock(D(2025, 9, 1))
    application = _receive(station, person, permit_kind="formal", materials={**ALL_MATERIALS, "business_licence": True})
    with pytest.raises(InvalidInput) as refused:
        application_decide(actor=station, application_id=application.pk, approve=True, reasons="")
    assert [p.rule for p in refused.value.problems] == ["permit.kind_mismatch"]
    with pytest.raises(InvalidInput) as no_reason:
        application_decide(actor=station, application_id=application.pk, approve=False, reasons=" ")
    assert no_reason.value.problems[0].field == "reasons"
    refused_app = application_decide(
        actor=station, application_id=application.pk, approve=False, reasons="居住未满一年，请申领临时居住证"
    )
    assert refused_app.status == Application.Status.REFUSED and refused_app.decision["kind"] == "temporary"


def test_one_open_application_per_person_and_scope_is_enforced(users, permit_policies, resident, clock, person_far):
    station = users[Role.STATION_OFFICER]
    person = resident(arrived_on=D(2024, 1, 1))
    clock(D(2025, 9, 1))
    first = _receive(station, person)
    with pytest.raises(Conflict) as twice:
        _receive(station, person)
    assert twice.value.existing_id == first.pk
    with pytest.raises(NotFound):
        application_receive(
            actor=station,
            person_id=person_far.pk,
            stay_id=person_far.stays.get().pk,
            permit_kind="permit",
            condition="work",
            materials={},
        )
    other = resident(arrived_on=D(2024, 1, 1))
    with pytest.raises(InvalidInput) as wrong_stay:
        application_receive(
            actor=station,
            person_id=other.pk,
            stay_id=person.stay.pk,
            permit_kind="temporary",
            condition="employment",
            materials={},
        )
    assert wrong_stay.value.problems[0].rule == "permit.stay_in_scope"
    with pytest.raises(PermissionDenied):
        _receive(users[Role.COLLECTOR], other)
    with pytest.raises(InvalidInput) as bad:
        _receive(station, other, condition="tourism", permit_kind="permit", materials={"passport": True})
    assert {p.rule for p in bad.value.problems} == {"permit.condition", "permit.kind", "permit.material_unknown"}
    assert Application.objects.count() == 1


def test_a_collective_application_is_checked_entry_by_entry_and_written_whole_or_not_at_all(
    users, permit_policies, resident, clock
):
    from liuguan.permits.services import ApplicationEntry, DecisionEntry, applications_decide, applications_receive

    station = users[Role.STATION_OFFICER]
    clock(D(2025, 9, 1))
    people = [resident(arrived_on=D(2025, 1, 1)) for _ in range(3)]

    def entry(person, **kw):
        return ApplicationEntry(
            person.pk, person.stay.pk, kw.pop("permit_kind", "temporary"), "employment", ALL_MATERIALS, **kw
        )

    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        applications_receive(actor=station, entries=[entry(people[0]), entry(people[1], permit_kind="gold")])
    assert [(p.field, p.rule) for p in refused.value.problems] == [("1.permit_kind", "permit.kind")]
    assert Application.objects.count() == 0 and AuditEvent.objects.count() == before
    received = applications_receive(actor=station, entries=[entry(p) for p in people])
    assert [a.status for a in received] == ["accepted"] * 3
    assert len({a.number for a in received}) == 3 and all(a.pk for a in received)
    batch = AuditEvent.objects.filter(action="permit_application.receive").get()
    assert batch.changes["batch"] == 3 and batch.division_code == IN_COMMUNITY
    assert sorted(e.action for a in received for e in a.events.all()) == ["accepted"] * 3 + ["received"] * 3
    decided = applications_decide(actor=station, decisions=[DecisionEntry(a.pk, approve=True) for a in received])
    assert {a.decision["kind"] for a in decided} == {"temporary"}
    assert AuditEvent.objects.filter(action="permit_application.decide").count() == 1
