"""Spot-check rounds: the seeded draw, who verifies what, and recording a check field by field."""

from collections import Counter

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.crypto import decrypt_text
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.oversight.models import FeedbackTask, SpotCheck, SpotCheckStratum
from liuguan.oversight.services.spotchecks import check_record, draw, round_close, round_create
from liuguan.registry.models import FieldChange

from .test_spotchecks_world import EAST, SEPTEMBER, WEST, build, make_user, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users):
    return build(users)


def _round(actor, **kw):
    start, end = SEPTEMBER
    return round_create(
        actor=actor, division_code=kw.pop("division_code", "510104"), period_start=start, period_end=end, **kw
    )


ALL_CONFIRMED = {
    f: {"verdict": "confirmed"}
    for f in ("name", "ethnicity", "hukou_address", "phone", "education", "marital_status", "address")
}


def test_the_draw_is_a_function_of_the_seed_alone():
    stays = {7: list(range(100, 120)), 3: list(range(200, 203))}
    first = draw(stays, size=5, seed=42)
    assert first == draw({3: stays[3], 7: list(reversed(stays[7]))}, size=5, seed=42)
    assert len(first[7]) == 5 and len(set(first[7])) == 5 and set(first[7]) <= set(stays[7])
    assert first[3] == [200, 201, 202]  # fewer records than the sample: all of them
    assert draw(stays, size=5, seed=43)[7] != first[7]
    # Another collector joining does not move anybody else's sample.
    assert draw({**stays, 9: [1, 2, 3]}, size=5, seed=42)[7] == first[7]


def test_a_round_samples_each_collector_and_repeats_with_its_seed(world):
    officer = world[Role.COUNTY_OFFICER]
    first = _round(officer, seed=20251001)
    second = _round(officer, seed=20251001)
    assert first.number == "SC-510104-202509-1" and second.number == "SC-510104-202509-2"
    drawn = lambda r: sorted(r.checks.values_list("stay_id", flat=True))  # noqa: E731
    assert drawn(first) == drawn(second)
    per_collector = Counter(first.checks.values_list("collector_id", flat=True))
    assert per_collector == {world["c1"].pk: 5, world["c2"].pk: 3, world["c3"].pk: 4}
    sampled = {s.pk for group in world["stays"].values() for s in group}
    assert set(drawn(first)) <= sampled  # departed, self-declared, August and other-county stays never drawn
    strata = {(s.collector_id, s.community): (s.records, s.drawn) for s in SpotCheckStratum.objects.filter(round=first)}
    assert strata == {
        (world["c1"].pk, EAST): (8, 5),
        (world["c2"].pk, EAST): (3, 3),
        (world["c3"].pk, WEST): (4, 4),
    }
    event = AuditEvent.objects.get(action="spotcheck.round_create", object_id=str(first.pk))
    assert event.changes["seed"] == 20251001 and event.changes["drawn"] == 12 and event.changes["records"] == 15


def test_nobody_verifies_their_own_records_and_the_grid_worker_comes_first(world):
    spot = _round(world[Role.COUNTY_OFFICER], seed=7)
    checks = list(spot.checks.select_related("stay"))
    assert all(c.verifier_id != c.collector_id for c in checks)
    in_grid = [c for c in checks if c.stay.grid_id == world["g1"].pk]
    assert in_grid and all(c.verifier_id == world["gw"].pk for c in in_grid)
    # c3 is the only field worker in 001002 and there is no station officer there: unassigned.
    west = [c for c in checks if c.community_id == WEST]
    assert west and all(c.verifier_id is None for c in west)
    # In 001001 the load is spread between the grid worker and the other collector.
    east_c2 = [c for c in checks if c.collector_id == world["c2"].pk]
    assert {c.verifier_id for c in east_c2} <= {world["gw"].pk, world["c1"].pk}
    loads = Counter(c.verifier_id for c in checks if c.community_id == EAST)
    assert set(loads) == {world["gw"].pk, world["c1"].pk, world["c2"].pk}
    assert max(loads.values()) - min(loads.values()) <= 2


def test_the_station_officer_verifies_where_no_other_field_worker_is(world):
    station = make_user("west-station", Role.STATION_OFFICER, WEST)
    spot = _round(world[Role.COUNTY_OFFICER], division_code=WEST, seed=1)
    assert set(spot.checks.values_list("verifier_id", flat=True)) == {station.pk}


def test_round_refusals_change_nothing(world, users):
    with pytest.raises(PermissionDenied):
        _round(world["c1"])
    with pytest.raises(InvalidInput) as exc:
        _round(world[Role.STREET_OFFICER], division_code="510107")
    assert exc.value.problems[0].rule == "spotcheck.area_in_scope"
    with pytest.raises(InvalidInput) as exc:
        _round(world[Role.COUNTY_OFFICER], fields=["doc_number"], sample_size=0)
    assert {p.rule for p in exc.value.problems} == {"spotcheck.fields", "spotcheck.sample_size"}
    with pytest.raises(InvalidInput) as exc:
        _round(world[Role.COUNTY_OFFICER], division_code="510104002")
    assert exc.value.problems[0].rule == "spotcheck.no_records"
    assert not SpotCheck.objects.exists()


def _check_of(spot, collector):
    return spot.checks.filter(collector=collector, verifier__isnull=False).select_related("person", "stay").first()


def test_every_checked_field_needs_a_verdict(world):
    spot = _round(world[Role.COUNTY_OFFICER], seed=3)
    check = _check_of(spot, world["c1"])
    verifier = check.verifier
    verdicts = dict(ALL_CONFIRMED)
    del verdicts["hukou_address"]
    verdicts["ethnicity"] = {"verdict": "corrected"}
    with pytest.raises(InvalidInput) as exc:
        check_record(actor=verifier, check_id=check.pk, verdicts=verdicts)
    assert {(p.field, p.rule) for p in exc.value.problems} == {
        ("hukou_address", "spotcheck.verdict_required"),
        ("ethnicity", "spotcheck.found_required"),
    }
    check.refresh_from_db()
    assert check.status == SpotCheck.Status.ASSIGNED and not FieldChange.objects.exists()


def test_corrections_land_in_the_record_and_go_back_to_whoever_set_each_field(world):
    spot = _round(world[Role.COUNTY_OFFICER], seed=3)
    check = _check_of(spot, world["c1"])
    person, verifier, old_address = check.person, check.verifier, check.stay.address
    # Someone else changed the phone after c1 registered the person: the phone goes back to them.
    FieldChange.objects.create(
        object_type="registry.person",
        object_id=person.pk,
        field="phone",
        old_value="13900000000",
        new_value=person.phone,
        channel="collector",
        actor=world["c2"],
    )
    verdicts = {
        **ALL_CONFIRMED,
        "ethnicity": {"verdict": "corrected", "found": "07"},
        "phone": {"verdict": "stated", "found": "13987654321"},
        "address": {"verdict": "corrected", "found": "东御河沿街 99 号"},
    }
    check_record(actor=verifier, check_id=check.pk, verdicts=verdicts, note="入户核实")
    person.refresh_from_db()
    check.refresh_from_db()
    check.stay.refresh_from_db()
    assert (person.ethnicity, person.phone, check.stay.address) == ("07", "13987654321", "东御河沿街 99 号")
    assert check.status == SpotCheck.Status.DONE
    assert (check.fields_checked, check.fields_corrected) == (7, 3)
    assert check.results["ethnicity"] == {"verdict": "corrected", "recorded": "01", "found": "07"}
    assert check.results["name"]["verdict"] == "confirmed"
    history = FieldChange.objects.filter(actor=verifier).values_list("field", "old_value", "new_value")
    history = [(field, decrypt_text(old), decrypt_text(new)) for field, old, new in history]  # numbers kept encrypted
    assert set(history) == {
        ("ethnicity", "01", "07"),
        ("phone", "13912345678", "13987654321"),
        ("address", old_address, "东御河沿街 99 号"),
    }
    tasks = {t.field: t for t in FeedbackTask.objects.filter(spot_check=check)}
    assert set(tasks) == {"ethnicity", "phone", "address"}
    assert tasks["ethnicity"].assignee_id == world["c1"].pk and tasks["ethnicity"].collector_id == world["c1"].pk
    assert tasks["phone"].collector_id == world["c2"].pk  # the last one who set it
    assert tasks["address"].object_type == "registry.stay"
    assert all(t.origin == "spot_check" and spot.number in t.note for t in tasks.values())
    assert check.stay.verified_on == china_today()
    assert AuditEvent.objects.filter(action="spotcheck.record", object_id=str(check.pk)).exists()
    with pytest.raises(Conflict):
        check_record(actor=verifier, check_id=check.pk, verdicts=ALL_CONFIRMED)


def test_a_stated_phone_is_compared_not_shown(world):
    spot = _round(world[Role.COUNTY_OFFICER], seed=3, fields=["phone"])
    check = _check_of(spot, world["c1"])
    check_record(
        actor=check.verifier, check_id=check.pk, verdicts={"phone": {"verdict": "stated", "found": "139 1234 5678"}}
    )
    check.refresh_from_db()
    assert check.fields_corrected == 0 and check.results["phone"]["verdict"] == "confirmed"
    other = spot.checks.exclude(pk=check.pk).filter(verifier__isnull=False).first()
    with pytest.raises(InvalidInput) as exc:
        check_record(actor=other.verifier, check_id=other.pk, verdicts={"phone": {"verdict": "stated", "found": ""}})
    assert exc.value.problems[0].field == "phone"


def test_a_person_not_found_is_neither_right_nor_wrong(world):
    spot = _round(world[Role.COUNTY_OFFICER], seed=3)
    check = _check_of(spot, world["c1"])
    check_record(actor=check.verifier, check_id=check.pk, verdicts={}, unreachable=True, note="已搬走")
    check.refresh_from_db()
    assert check.status == SpotCheck.Status.UNREACHABLE and check.fields_checked == 0 and check.note == "已搬走"
    assert not FeedbackTask.objects.exists()


def test_only_the_verifier_or_a_desk_officer_over_it_records(world, users):
    spot = _round(world[Role.COUNTY_OFFICER], seed=3)
    check = _check_of(spot, world["c2"])
    bystander = world["c1"] if check.verifier_id != world["c1"].pk else world["gw"]
    with pytest.raises(NotFound):
        check_record(actor=bystander, check_id=check.pk, verdicts=ALL_CONFIRMED)  # a field worker: not theirs
    with pytest.raises(PermissionDenied):
        check_record(actor=users[Role.COUNTY_OFFICER], check_id=check.pk, verdicts=ALL_CONFIRMED)
    far = make_user("far-station", Role.STATION_OFFICER, "510703001001")
    with pytest.raises(NotFound):
        check_record(actor=far, check_id=check.pk, verdicts=ALL_CONFIRMED)
    check.refresh_from_db()
    assert check.status == SpotCheck.Status.ASSIGNED
    check_record(actor=users[Role.STATION_OFFICER], check_id=check.pk, verdicts=ALL_CONFIRMED)
    check.refresh_from_db()
    assert check.status == SpotCheck.Status.DONE and check.done_by == users[Role.STATION_OFFICER]


def test_a_closed_round_takes_no_more_checks(world):
    spot = _round(world[Role.COUNTY_OFFICER], seed=3)
    check = _check_of(spot, world["c1"])
    round_close(actor=world[Role.COUNTY_OFFICER], round_id=spot.pk)
    with pytest.raises(Conflict):
        check_record(actor=check.verifier, check_id=check.pk, verdicts=ALL_CONFIRMED)
    with pytest.raises(NotFound):
        round_close(actor=make_user("mianyang", Role.COUNTY_OFFICER, "510703"), round_id=spot.pk)


def test_an_import_counts_for_the_collector_who_imported(world):
    imported = register(world["c3"], WEST, channel="import")
    spot = _round(world[Role.COUNTY_OFFICER], division_code=WEST, seed=1, sample_size=50)
    assert spot.checks.filter(stay=imported).exists()
