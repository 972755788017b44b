"""The demo's outflow population on a small province: the reconciliation per origin county equals the truth."""

from collections import Counter

import pytest
from django.core.management import call_command

from liuguan.demo.models import OutflowTruth, TrueOutflow
from liuguan.demo.tests.conftest import fast_passwords, generate, sichuan  # noqa: F401 (fixtures)
from liuguan.outflow.demo import _province_reader, outflow_demo, truth_counts
from liuguan.outflow.models import OutflowRecord, OutflowTask
from liuguan.outflow.selectors import reconciliation_summary
from liuguan.registry.models import Person

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
