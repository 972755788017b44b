"""`manage.py quality_report` on a small generated province: estimates beside the demo's truth."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from liuguan.accounts.models import User
from liuguan.conftest import login
from liuguan.demo.runs import demo_generate
from liuguan.demo.tests.conftest import AS_OF, _rows
from liuguan.geo.models import Division
from liuguan.oversight import selectors_omission as omission
from liuguan.oversight import truth_omission


@pytest.fixture
def province(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    divisions = [Division(code=r.code, name=r.name, level=r.level, parent_id=r.parent or None) for r in _rows()]
    Division.objects.bulk_create(divisions, batch_size=1000, ignore_conflicts=True)
    return demo_generate(seed=3, persons=2500, as_of=AS_OF, chunk_size=500)


def _run(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("quality_report", *args, stdout=out)
    return out.getvalue()


def test_refuses_without_demo_truth_unless_told(divisions, users):
    with pytest.raises(CommandError, match="no demo truth"):
        _run("--level", "county")
    text = _run("--level", "county", "--no-truth", "--no-errors")
    assert "true N" not in text and "51 " in text


@pytest.mark.django_db
def test_estimates_beside_the_truth_for_the_province_and_its_counties(province):
    text = _run("--level", "county", "--no-errors")
    user = User.objects.get(username="province")
    total = omission.omission_total(user=user)
    truth = truth_omission.truth_by_prefix(area="51", length=2)["51"]
    assert truth.residents > 1000 and 0 < truth.missed < truth.residents
    province_row = next(line for line in text.splitlines() if line.startswith("51 "))
    assert f"{truth.residents}" in province_row and f"{total.n1}" in province_row
    # The demo's lists are independent by construction: the province's interval holds the truth.
    assert total.n_hat.contains(truth.residents)
    assert " yes " in province_row
    assert "for the area: yes" in text
    counties = [line for line in text.splitlines() if line[:6].isdigit() and len(line.split()[0]) == 6]
    assert len(counties) >= 4
    # The page puts the same truth beside the estimates, labelled as the demo's.
    client = login(user)
    page = client.get("/oversight/omissions/", {"level": "county"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="truth-label"' in page and "known truth" in page
    assert 'data-testid="inside-count"' in page


@pytest.mark.django_db
def test_error_rate_part_creates_a_round_once_and_answers_it_from_the_truth(province):
    first = _run("--level", "county", "--sample", "1", "--seed", "5")
    assert "Error rate by spot checks" in first
    assert "Created spot-check round" in first and "Answered" in first
    assert "holds the truth for the area" in first.split("Error rate by spot checks")[1]
    second = _run("--level", "county", "--sample", "1", "--seed", "5")
    assert "Reusing spot-check round" in second
