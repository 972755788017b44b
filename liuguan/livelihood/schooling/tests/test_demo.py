"""The demo province's schooling, small: the public/private shares and the transfer rate per street and year come
out of the data with the figures' arithmetic, checked against a count made here from the demo's plan."""

import datetime as dt
from collections import defaultdict

import pytest

from liuguan.demo.reset import demo_reset
from liuguan.demo.tests.conftest import AS_OF, fast_passwords, generate, sichuan  # noqa: F401 (fixtures)
from liuguan.livelihood.schooling.demo import schooling_demo
from liuguan.livelihood.schooling.figures import area_figures
from liuguan.livelihood.schooling.models import Guardianship, School, SchoolApplication, SchoolRecord

pytestmark = pytest.mark.django_db


def _expected(plan, year):
    """Per township: children enrolled, public, private and transfers in the year, counted from the plan."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    last_kind, transfers = {}, defaultdict(int)
    for r in sorted(plan, key=lambda r: r.started_on):
        if r.started_on <= last and (r.ended_on is None or r.ended_on >= first):
            last_kind[(r.township, r.child_id)] = r.kind  # sorted by start: the latest wins
        if r.end_reason == "transfer" and first <= r.ended_on <= last:
            transfers[r.township] += 1
    out = defaultdict(lambda: [0, 0, 0, 0])
    for (township, _child), kind in last_kind.items():
        out[township][0] += 1
        out[township][1 if kind == "public" else 2] += 1
    for township, n in transfers.items():
        out[township][3] += n
    return {t: tuple(v) for t, v in out.items()}


def test_demo_figures_come_out_of_the_data(generate):  # noqa: F811
    generate(persons=600)
    result = schooling_demo(seed=2, today=AS_OF)
    assert result.counts["schools"] >= 2 and result.counts["records"] > 20 and result.counts["transfers"] > 0
    assert Guardianship.objects.count() == result.counts["guardianships"] > 0
    assert SchoolApplication.objects.count() == result.counts["applications"]
    checked = 0
    for year in (AS_OF.year - 1, AS_OF.year):
        expected = _expected(result.plan, year)
        counties = {t[:6] for t in expected}
        for county in counties:
            _whole, units = area_figures(area=county, year=year, child_length=9)
            got = {code: (f.enrolled, f.public, f.private, f.transfers) for code, f in units.items()}
            assert got == {t: v for t, v in expected.items() if t.startswith(county)}
            for code, f in units.items():
                assert f.public_share == pytest.approx(expected[code][1] / expected[code][0])
                assert f.transfer_rate == pytest.approx(expected[code][3] / expected[code][0])
                checked += 1
    assert checked > 2
    # Shares near what the demo aims at (87% public, about 12% transferring a year), over the whole province.
    whole, _units = area_figures(area="51", year=AS_OF.year - 1, child_length=None)
    assert 0.65 < whole.public_share < 0.98 and 0.03 < whole.transfer_rate < 0.3
    # Run again: the same rows replace the old ones; the demo's reset removes them before the people.
    again = schooling_demo(seed=2, today=AS_OF)
    assert SchoolRecord.objects.count() == again.counts["records"] == result.counts["records"]
    demo_reset()
    assert not School.objects.exists() and not Guardianship.objects.exists()
