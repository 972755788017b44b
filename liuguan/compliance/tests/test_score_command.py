import re

import pytest
from django.core.management import CommandError, call_command

from liuguan.compliance.models import Breach, DutyReport
from liuguan.demo.models import DutyGap, DutyGapKind
from liuguan.demo.runs import demo_generate

# The demo's fixtures: a few counties of the shipped divisions, cheap password hashing for the demo accounts.
from liuguan.demo.tests.conftest import AS_OF, fast_passwords, sichuan  # noqa: F401


@pytest.fixture
def province(request):
    """A small generated demo province, as of the demo tests' pinned date."""
    request.getfixturevalue("sichuan")
    return demo_generate(seed=7, persons=900, as_of=AS_OF, chunk_size=300)


KINDS = (
    "missing landlord reports",
    "missing employer reports",
    "missing hotel reports",
    "late reports",
    "expired agreements",
)


def _rows(out: str) -> dict[str, list[str]]:
    found = {}
    for line in out.splitlines():
        for kind in KINDS:
            if line.strip().startswith(kind):
                found[kind] = re.split(r"\s+", line.strip()[len(kind) :].strip())
    return found


@pytest.mark.django_db
def test_on_a_clean_demo_run_every_kind_scores_precision_and_recall_of_one(province, capsys):
    # when
    call_command("score_duty_detection", "--min-precision", "1", "--min-recall", "1")
    # then
    rows = _rows(capsys.readouterr().out)
    assert set(rows) == set(KINDS)
    for kind, (injected, found, tp, fp, fn, precision, recall) in rows.items():
        assert (precision, recall) == ("1.000", "1.000"), kind
        assert injected == found == tp and fp == fn == "0", kind
    assert int(rows["missing landlord reports"][0]) > 5
    assert int(rows["late reports"][0]) > 10
    assert int(rows["expired agreements"][0]) > 5
    assert Breach.objects.count() == sum(int(rows[k][1]) for k in KINDS[:4])


@pytest.mark.django_db
def test_a_gap_detection_cannot_see_lowers_recall_and_fails_the_threshold(province, capsys):
    # given: a landlord report slipped in for one injected missing report, so detection has nothing to find
    gap = DutyGap.objects.filter(kind=DutyGapKind.MISSING_REPORT, channel="landlord").select_related("stay").first()
    report = DutyReport.objects.filter(channel="landlord").first()
    report.pk, report.person_id, report.house_id, report.stay_id = None, gap.person_id, gap.house_id, gap.stay_id
    report.late = False
    report.save()
    # when
    with pytest.raises(CommandError, match="missing landlord reports"):
        call_command("score_duty_detection", "--min-recall", "1")
    # then
    rows = _rows(capsys.readouterr().out)
    injected, found, tp, fp, fn, precision, recall = rows["missing landlord reports"]
    assert int(found) == int(injected) - 1 and fn == "1" and precision == "1.000" and float(recall) < 1
    assert rows["late reports"][-1] == "1.000"


@pytest.mark.django_db
def test_without_a_demo_run_the_command_says_so(db):
    with pytest.raises(CommandError, match="no demo run"):
        call_command("score_duty_detection")
