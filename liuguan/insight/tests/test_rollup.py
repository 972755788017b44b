"""Keeping the cells current: after writes through the services, a refresh from the audit chain leaves exactly the
cells a full rebuild counts; writes that change cells away from their own division are followed there."""

import datetime as dt

import pytest
from django.db import transaction

from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.identity import china_today
from liuguan.geo.models import Division, Level
from liuguan.insight.models import Cell
from liuguan.insight.panels import build_panel
from liuguan.insight.rollup import _refresh_prefixes, changed_prefixes, freshness, rollup_rebuild, rollup_refresh

from . import measures_world as w

pytestmark = pytest.mark.django_db

C1, C2 = w.COMMUNITIES[0], w.COMMUNITIES[1]
MIANYANG = w.COMMUNITIES[4]


def snapshot() -> list[tuple]:
    return sorted(Cell.objects.values_list("area", "level", "parent", "measure", "k1", "k2", "n"))


def refreshed_equals_rebuilt() -> list[tuple]:
    """Refresh, then rebuild from scratch: the two sets of cells must be the same."""
    rollup_refresh()
    after_refresh = snapshot()
    rollup_rebuild()
    assert after_refresh == snapshot()
    return after_refresh


def test_a_refresh_after_writes_through_the_services_equals_a_rebuild(divisions, users):
    from liuguan.compliance.services import tenancy_file
    from liuguan.grid.services.events import event_report
    from liuguan.livelihood.schooling.services import school_record_transfer
    from liuguan.livelihood.welfare.services import remote_treatment_file
    from liuguan.registry.services.places import house_register
    from liuguan.registry.services.stays import StayInput, stay_depart, stay_register

    # given: a small province counted into cells, with a child at a school in C2
    w.province(seed=5, size=30)
    child = w.person(birth=dt.date(2016, 5, 1))
    w.school_record(w.school(C2), child=child)
    new_school = w.school(C1, kind="private")
    rollup_rebuild()
    before = snapshot()
    station, county = users[Role.STATION_OFFICER], users[Role.COUNTY_OFFICER]
    today = china_today()
    # when: people arrive and leave, a house is let and filed, an event is reported, a child changes school, a
    # remote treatment is filed, all through the services (each leaves its audit event)
    newcomer = w.person(sex="F", birth=dt.date(1995, 1, 1))
    arrived = stay_register(
        actor=station,
        person=newcomer,
        stay=StayInput(community_code=C1, arrived_on=today - dt.timedelta(days=3), reason="work"),
    )
    leaver = w.stay(C1, arrived=dt.date(2024, 1, 1))
    stay_depart(actor=station, stay_id=leaver.pk, departed_on=today)
    house = house_register(actor=station, community_code=C1, address="东御河沿街 99 号", owner_name="房东")
    tenancy_file(
        actor=station,
        house_id=house.pk,
        tenants=[newcomer.pk],
        starts_on=today - dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=365),
    )
    event_report(
        actor=users[Role.GRID_WORKER], category_code="rental_house_safety", description="堆物", community_code=C1
    )
    school_record_transfer(actor=county, child_id=child.pk, school_id=new_school.pk, on=today)
    remote_treatment_file(
        actor=station,
        person_id=newcomer.pk,
        insured_place="511321",
        treatment_place=C1,
        reason="residence",
        valid_until=today + dt.timedelta(days=365),
    )
    assert freshness()["pending"] > 0
    # then: the refresh gives what the rebuild gives, and the writes show
    after = refreshed_equals_rebuilt()
    assert after != before
    assert freshness()["pending"] == 0
    changed = {(a, m) for a, _l, _p, m, *_rest in set(after) ^ set(before)}
    for measure in ("stock", "arrivals", "departures", "tenancy", "grid_events", "schools", "right_treatment"):
        assert any(m == measure for _a, m in changed), measure
    assert ("510104", "right_treatment") in changed  # counted in the county of treatment
    assert arrived.house_id is None and Cell.objects.filter(area=C1, measure="housing", k1="rental").exists()


def test_a_school_transfer_refreshes_the_school_the_child_left(divisions, users):
    from liuguan.livelihood.schooling.services import school_record_transfer

    child = w.person(birth=dt.date(2016, 5, 1))
    w.school_record(w.school(C2), child=child)
    new_school = w.school(C1)
    rollup_rebuild()
    assert build_panel("schools", C2).total == 1
    school_record_transfer(
        actor=users[Role.COUNTY_OFFICER], child_id=child.pk, school_id=new_school.pk, on=china_today()
    )
    # The audit event names the receiving school's community only; the one left is found from the child's records.
    assert C2 in changed_prefixes(0, 10**9)
    rollup_refresh()
    assert build_panel("schools", C2).total == 0
    assert build_panel("schools", C1).total == 1
    assert build_panel("schools", "510104").total == 1


def test_an_edit_of_a_person_refreshes_every_community_they_live_in(divisions):
    # given: a person living in 绵阳, once registered in the fixture community; an edit is audited there
    who = w.person(sex="M", birth=dt.date(1980, 1, 1))
    w.stay(C1, who=who, arrived=dt.date(2020, 1, 1), departed=dt.date(2021, 1, 1))
    w.stay(MIANYANG, who=who, arrived=dt.date(2021, 2, 1))
    rollup_rebuild()
    men = build_panel("pyramid", "5107").series[0].data
    assert sum(men) == 1
    # when: the record is corrected by someone whose division is the old community
    with transaction.atomic():
        who.sex = "F"
        who.save(update_fields=["sex"])
        audit_record(actor=SYSTEM, action="person.update", obj=who, division_code=C1, changes={"sex": ["M", "F"]})
    assert MIANYANG in changed_prefixes(0, 10**9)
    # then: 绵阳's pyramid shows her, and the refresh agrees with a rebuild
    refreshed_equals_rebuilt()
    pyramid = build_panel("pyramid", "5107")
    assert (sum(pyramid.series[0].data), sum(pyramid.series[1].data)) == (0, 1)


def test_a_short_prefix_refreshes_areas_whose_codes_end_in_zeros(divisions):
    # An area such as '510100' sorts before '510100000000': a refresh of '5101' must still reach it.
    for code, level in (("510100", Level.COUNTY), ("510100001", Level.TOWNSHIP), ("510100001001", Level.COMMUNITY)):
        Division.objects.create(code=code, name=code, level=level, parent_id=code[: {6: 4, 9: 6, 12: 9}[len(code)]])
    w.stay("510100001001")
    rollup_rebuild()
    w.stay("510100001001")  # written without the services: the refresh below is told where
    with transaction.atomic():
        _refresh_prefixes(["5101"])
    refreshed = snapshot()
    rollup_rebuild()
    assert refreshed == snapshot()
    children = build_panel("children", "5101")
    assert dict(zip(children.keys, children.series[0].data, strict=True)) == {"510100": 2}


def test_reads_and_the_cells_own_events_cost_no_refresh(divisions, users):
    rollup_rebuild()
    with transaction.atomic():
        audit_record(actor=SYSTEM, action="person.reveal", division_code=C1)
        audit_record(actor=SYSTEM, action="insight.report_requested", division_code="51")
    assert rollup_refresh()["prefixes"] == 0


def test_freshness_counts_the_writes_waiting(divisions):
    assert freshness()["built"] is False
    rollup_rebuild()
    assert freshness()["pending"] == 0
    with transaction.atomic():
        audit_record(actor=SYSTEM, action="stay.register", division_code=C1)
        audit_record(actor=SYSTEM, action="stay.register", division_code=C2)
    state = freshness()
    assert state["pending"] == 2 and state["oldest_pending_at"] is not None
    result = rollup_refresh()
    assert result["mode"] == "refresh" and result["prefixes"] == 2
    assert freshness()["pending"] == 0


def test_permits_suspended_by_the_daily_job_are_refreshed(divisions):
    from liuguan.permits.models import PermitPolicy
    from liuguan.permits.services.permits import permits_refresh
    from liuguan.permits.services.policies import permit_policies_load

    permit_policies_load()
    held = w.permit(w.COMMUNITIES[3], kind="permit", status="valid")  # 武侯区: the national policy's kind
    assert held.policy == PermitPolicy.objects.get(code="national")
    held.issued_on = held.counted_from = dt.date(2023, 1, 10)
    held.save()
    rollup_rebuild()
    counts = permits_refresh(on=dt.date(2026, 6, 15))
    held.refresh_from_db()
    assert held.status == "suspended" and counts  # the job did suspend it
    refreshed_equals_rebuilt()


def test_an_event_the_daily_supervision_marks_overdue_is_refreshed(divisions):
    from liuguan.grid.models import GridEvent
    from liuguan.grid.services.supervision import supervise

    event = w.grid_event(C1, state="transmitted", reported=dt.date(2026, 6, 1))
    GridEvent.objects.filter(pk=event.pk).update(assigned_division_id=C1, accept_due=dt.date(2026, 6, 5))
    rollup_rebuild()
    assert build_panel("grid", C1, today=dt.date(2026, 6, 15)).figures["open_overdue"] == 0
    supervise(dt.date(2026, 6, 15))  # marks the stage overdue and gives a yellow card (audited in C1)
    refreshed_equals_rebuilt()
    assert build_panel("grid", "51", today=dt.date(2026, 6, 15)).figures["open_overdue"] == 1
