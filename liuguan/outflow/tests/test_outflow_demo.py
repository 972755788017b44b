"""The demo's outflow population on a small province: the reconciliation per origin county equals the truth."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command

from liuguan.conftest import citizen_id
from liuguan.demo.models import OutflowTruth, TrueOutflow
from liuguan.demo.tests.conftest import fast_passwords, generate, sichuan  # noqa: F401 (fixtures)
from liuguan.geo.models import Division, Level
from liuguan.outflow.demo import _province_reader, outflow_demo, truth_counts
from liuguan.outflow.models import OutflowRecord, OutflowTask
from liuguan.outflow.selectors import reconciliation_summary
from liuguan.registry.models import Lodging, Person, Stay

pytestmark = pytest.mark.django_db


def test_the_reconciliation_finds_exactly_the_injected_gaps(generate):  # noqa: F811 (the demo's fixture)
    # given: a small province, and its origins' reports with known gaps
    generate(persons=300, seed=3)
    # when
    result = outflow_demo(seed=3, share=0.4, elsewhere=15)
    # then: every kind of case is there, and each origin county's counts are the truth's
    truth = Counter(TrueOutflow.objects.values_list("category", flat=True))
    assert all(truth[kind] > 0 for kind in OutflowTruth.values), truth
    assert result.comparison["differing"] == {}
    assert all(want == found for want, found in result.comparison["totals"].values())
    # and, read apart from the demo's own comparison: the origin county with the most cases
    counties = truth_counts()
    county = max(counties, key=lambda c: (sum(counties[c].values()), c))
    summary = reconciliation_summary(user=_province_reader("51"), area_code=county)
    assert (summary.total.confirmed, summary.total.never_confirmed, summary.total.missed) == (
        counties[county]["confirmed"],
        counties[county]["never_confirmed"],
        counties[county]["missed"],
    )
    # and each truth row is what the registry holds
    records = {r.person_id: r for r in OutflowRecord.objects.all()}
    for row in TrueOutflow.objects.all():
        record = records[row.person_id]
        assert record.origin_id == row.origin_code
        if row.category == OutflowTruth.CONFIRMED:
            # a wrong destination the family gave is corrected by the stay that confirmed it
            assert record.prior_record and record.status == "confirmed"
            assert record.destination_code == row.true_destination
        elif row.category == OutflowTruth.MISSED:
            assert not record.prior_record and record.destination_code == row.true_destination
        else:
            assert record.prior_record and record.status == "unconfirmed"
            assert record.destination_code == row.reported_destination
    wrong = TrueOutflow.objects.filter(detail__wrong_destination=True)
    assert wrong.exists() and all(t.reported_destination[:6] != t.true_destination[:6] for t in wrong)
    unknown = TrueOutflow.objects.filter(category=OutflowTruth.UNKNOWN).values_list("person_id", flat=True)
    open_unknown = OutflowTask.objects.filter(kind="unknown", status="open")
    assert set(open_unknown.values_list("record__person_id", flat=True)) == set(unknown)


def test_running_it_again_replaces_its_rows_and_the_demo_reset_takes_them(generate):  # noqa: F811
    generate(persons=200, seed=4)
    outflow_demo(seed=4, share=0.2, elsewhere=4)
    first = (OutflowRecord.objects.count(), Person.objects.count(), TrueOutflow.objects.count())
    assert first[0] == first[2] > 0
    call_command("outflow_demo", "--seed", "4", "--share", "0.2", "--elsewhere", "4", verbosity=0)
    assert (OutflowRecord.objects.count(), Person.objects.count(), TrueOutflow.objects.count()) == first
    generate(persons=100, seed=5, reset=True)
    assert not OutflowRecord.objects.exists() and not TrueOutflow.objects.exists()


def test_a_hotel_night_is_no_inflow_in_the_truth_either(generate):  # noqa: F811 (the demo's fixture)
    # given: a small province, a guest of the province whose only open stay is a hotel's in another county, and
    # someone living in another county whose newest open stay is a hotel night in a third one
    generate(persons=60, seed=6)
    community = {
        county: Division.objects.filter(level=Level.COMMUNITY, code__startswith=county).order_by("code")[0].code
        for county in ("510104", "510107")
    }
    hotel = Lodging.objects.create(name="锦江宾馆", community_id=community["510104"])
    guest = _someone("511302", "017")
    _open_stay(guest, community["510104"], dt.date(2026, 6, 1), lodging=hotel)
    living = _someone("513431", "025")
    _open_stay(living, community["510107"], dt.date(2025, 3, 1))
    _open_stay(living, community["510104"], dt.date(2026, 6, 2), lodging=hotel)
    # when
    result = outflow_demo(seed=6, share=0.4, elsewhere=2)
    # then: the truth counts no inflow the registry hook passes by, so every origin county agrees
    assert result.comparison["differing"] == {}
    assert not TrueOutflow.objects.filter(person=guest).exists()
    assert not OutflowRecord.objects.filter(person=guest).exists()
    # and the inflow is where they live, not the hotel
    truth = TrueOutflow.objects.get(person=living)
    record = OutflowRecord.objects.get(person=living)
    assert (truth.category, truth.true_destination) == (OutflowTruth.MISSED, community["510107"])
    assert (record.prior_record, record.destination_code) == (False, community["510107"])


def _someone(hukou: str, seq: str) -> Person:
    return Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id(hukou, "19900512", seq),
        name="旅客",
        sex="M",
        birth_date=dt.date(1990, 5, 12),
        hukou_code=hukou,
    )


def _open_stay(person: Person, community: str, arrived: dt.date, *, lodging=None) -> Stay:
    return Stay.objects.create(
        person=person,
        community_id=community,
        lodging=lodging,
        reason="travel" if lodging else "work",
        arrived_on=arrived,
        source_channel="hotel" if lodging else "collector",
    )
