"""The report's measures on a hand-made case: public and private shares and the transfer rate by area and year.

Records (school year 2025-26 and 2026-27), county 510104 with two streets:
- A: public school of street 001 from 2025-09-01, still there;
- B: the same public school from 2025-09-01, transferred on 2026-02-28 to the private school of street 002;
- C: the private school of street 002 from 2026-09-01;
- D: the public school from 2024-09-01 to 2025-06-30 (completed): not enrolled in 2026;
- E: the public school from 2026-01-10, transferred on 2026-05-01 to another public school of street 001.
In 2026: street 001 has A, B, E enrolled (all three last at a public school there), two transfers (B, E);
street 002 has B and C (private), no transfer; the county has A, B, C, E: A and E public, B and C private.
"""

import datetime as dt

import pytest

from liuguan.livelihood.schooling.figures import area_figures, area_trend
from liuguan.livelihood.schooling.models import School, SchoolRecord

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def records(family, schools):
    other_public = School.objects.create(
        name="西御河沿小学", kind="public", levels=["primary"], community_id="510104001002"
    )
    a, b, c, d, e = family.child, family.other_child, family.father, family.mother, family.other_parent
    rows = [
        (a, schools.public, D(2025, 9, 1), None, ""),
        (b, schools.public, D(2025, 9, 1), D(2026, 2, 28), "transfer"),
        (b, schools.private, D(2026, 3, 1), None, ""),
        (c, schools.private, D(2026, 9, 1), None, ""),
        (d, schools.public, D(2024, 9, 1), D(2025, 6, 30), "completed"),
        (e, schools.public, D(2026, 1, 10), D(2026, 5, 1), "transfer"),
        (e, other_public, D(2026, 5, 2), None, ""),
    ]
    for child, school, start, end, reason in rows:
        SchoolRecord.objects.create(
            child=child, school=school, level="primary", started_on=start, ended_on=end, end_reason=reason
        )


def test_shares_and_transfer_rate_by_street_and_county(records):
    whole, units = area_figures(area="510104", year=2026, child_length=9)
    assert (whole.enrolled, whole.public, whole.private, whole.transfers) == (4, 2, 2, 2)
    assert (whole.public_share, whole.private_share, whole.transfer_rate) == (0.5, 0.5, 0.5)
    first, second = units["510104001"], units["510104002"]
    assert (first.enrolled, first.public, first.private, first.transfers) == (3, 3, 0, 2)
    assert first.transfer_rate == pytest.approx(2 / 3) and first.public_share == 1.0
    assert (second.enrolled, second.public, second.private, second.transfers) == (2, 0, 2, 0)
    assert (second.private_share, second.transfer_rate) == (1.0, 0.0)


def test_trend_year_by_year(records):
    trend = dict(area_trend(area="510104", today=D(2026, 11, 1)))
    assert sorted(trend) == [2024, 2025, 2026]
    assert (trend[2024].enrolled, trend[2024].public) == (1, 1)
    assert (trend[2025].enrolled, trend[2025].public, trend[2025].transfers) == (3, 3, 0)
    assert trend[2026].as_dict()["transfer_rate"] == 0.5


def test_an_empty_area_has_no_rates(records):
    whole, units = area_figures(area="510107", year=2026, child_length=9)
    assert (whole.enrolled, whole.public_share, whole.transfer_rate, units) == (0, None, None, {})
