"""Spot-check pages: an officer draws a round, a verifier fills the check form on a phone, the round shows results."""

import re

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.oversight.models import FeedbackTask, SpotCheck, SpotCheckRound

from .test_spotchecks_world import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users):
    return build(users)


def _draw(client, **extra):
    data = {
        "division_code": "510104",
        "period_start": "2025-09-01",
        "period_end": "2025-09-30",
        "sample_size": "5",
        "seed": "11",
        "fields": ["ethnicity", "hukou_address", "phone", "address"],
        **extra,
    }
    return client.post("/oversight/checks/new/", data)


def test_an_officer_draws_a_round_and_sees_its_progress(world):
    officer = login(world[Role.COUNTY_OFFICER])
    form = officer.get("/oversight/checks/new/")
    assert form.status_code == 200 and 'name="division_code"' in form.content.decode()
    response = _draw(officer)
    spot = SpotCheckRound.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/oversight/checks/rounds/{spot.pk}/"
    page = officer.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert spot.number in page and 'data-testid="strata"' in page and "11" in page
    # c3's records in 西御河沿 have nobody but c3 to verify them: said on the page.
    assert 'data-testid="unassigned"' in page and "4 records have no verifier" in page
    close = f"/oversight/checks/rounds/{spot.pk}/close/"
    assert close in page  # the county officer drew it and may close it; the station officer only sees its part
    assert close not in login(world[Role.STATION_OFFICER]).get(f"/oversight/checks/rounds/{spot.pk}/").content.decode()
    assert officer.get("/oversight/checks/").content.decode().count(spot.number) == 1
    bad = _draw(officer, division_code="510107", period_end="2099-01-01")
    assert bad.status_code == 200 and SpotCheckRound.objects.count() == 1


def test_a_verifier_confirms_and_corrects_on_the_phone_form(world):
    login(world[Role.COUNTY_OFFICER]).post(
        "/oversight/checks/new/",
        {
            "division_code": "510104",
            "period_start": "2025-09-01",
            "period_end": "2025-09-30",
            "sample_size": "5",
            "seed": "11",
            "fields": ["ethnicity", "hukou_address", "phone", "address"],
        },
    )
    check = SpotCheck.objects.filter(verifier=world["gw"]).select_related("person", "stay").first()
    verifier = login(world["gw"])
    mine = verifier.get("/oversight/checks/mine/").content.decode()
    assert f"/oversight/checks/{check.pk}/" in mine
    page = verifier.get(f"/oversight/checks/{check.pk}/").content.decode()
    assert check.person.phone_masked in page and check.person.phone not in page  # only the masked phone
    assert check.person.hukou_address in page and 'value="corrected"' in page
    # Nothing chosen for two fields: the form says which, and nothing is written.
    missing = verifier.post(
        f"/oversight/checks/{check.pk}/", {"v_ethnicity": "confirmed", "f_phone": check.person.phone}
    )
    assert missing.status_code == 200 and missing.content.decode().count('class="errorlist"') >= 2
    check.refresh_from_db()
    assert check.status == SpotCheck.Status.ASSIGNED
    done = verifier.post(
        f"/oversight/checks/{check.pk}/",
        {
            "v_ethnicity": "corrected",
            "f_ethnicity": "07",
            "v_hukou_address": "confirmed",
            "f_phone": check.person.phone,
            "v_address": "confirmed",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/oversight/checks/mine/"
    check.refresh_from_db()
    assert check.status == SpotCheck.Status.DONE and check.fields_corrected == 1
    task = FeedbackTask.objects.get(spot_check=check)
    assert task.field == "ethnicity" and task.assignee_id == check.collector_id
    # Another field worker cannot open the check; the round page shows the wrong record and its task.
    assert login(world["c3"]).get(f"/oversight/checks/{check.pk}/").status_code == 404
    round_page = login(world[Role.STATION_OFFICER]).get(f"/oversight/checks/rounds/{check.round_id}/").content.decode()
    assert task.number in round_page and 'data-testid="error-rate"' in round_page
    assert re.search(r'data-testid="error-rate">\d+\.\d%<', round_page)


def test_a_person_not_found_is_recorded_from_the_form(world):
    _draw(login(world[Role.COUNTY_OFFICER]))
    check = SpotCheck.objects.filter(verifier=world["gw"]).first()
    response = login(world["gw"]).post(f"/oversight/checks/{check.pk}/", {"unreachable": "on", "note": "无人"})
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.status == SpotCheck.Status.UNREACHABLE
