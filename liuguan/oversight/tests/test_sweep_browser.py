"""On a phone: the grid worker opens their sweep houses, registers a newcomer at one through the ordinary
registration page, comes back, marks one tenant present and one gone, and completes the visit; the officer
closes the sweep and reads what it changed.
"""

import datetime as dt
import re

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import browser_login, citizen_id
from liuguan.oversight.models import SweepTask
from liuguan.oversight.services.sweeps import sweep_create
from liuguan.registry.models import Stay

from .test_sweep_world import build_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_sweeps_a_house_and_the_officer_reads_the_report(phone_page, users, settings):
    county = build_county(users)
    starts, ends = county["window"]
    sweep = sweep_create(
        actor=users[Role.COUNTY_OFFICER], division_code="510104", name="春季清理", starts_on=starts, ends_on=ends
    )
    house, s = county["houses"]["h1"], county["stays"]
    task = SweepTask.objects.get(sweep=sweep, house=house)
    page = phone_page

    browser_login(page, "grid_worker")
    page.goto("/oversight/sweeps/tasks/")
    page.click(f"[data-testid=my-tasks] a:has-text('{house.address}')")
    page.wait_for_url(re.compile(rf"/oversight/sweeps/tasks/{task.pk}/$"))
    # Someone new lives here: register them through the ordinary page, prefilled with the house.
    page.click("[data-testid=register-here]")
    number = citizen_id("511321", "19960606", "246")
    page.fill("#id_doc_number", number)
    page.wait_for_function("() => document.getElementById('id_birth_date').value !== ''")
    page.fill("#id_name", "新住户")
    page.fill("#id_arrived_on", county["today"].isoformat())
    page.select_option("#id_reason", "work")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/registry/people/\d+/$"))

    page.goto(f"/oversight/sweeps/tasks/{task.pk}/")
    assert page.is_checked("input[name=new]")
    page.check(f"[data-testid=stay-{s['s1a'].pk}] input[value=present]")
    page.check(f"[data-testid=stay-{s['s1b'].pk}] input[value=left]")
    page.fill(f"#id_departed_{s['s1b'].pk}", (county["today"] - dt.timedelta(days=2)).isoformat())
    page.screenshot(path=str(settings.VAR_DIR / "browser-sweep-task.png"), full_page=True)
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/oversight/sweeps/tasks/$"))
    assert "新住户" not in page.content()  # the list shows houses, not people
    task.refresh_from_db()
    assert task.outcome == SweepTask.Outcome.NEW_PERSON
    new_stay = Stay.objects.get(person__doc_number=number)
    assert new_stay.house_id == house.pk and task.details["new"] == [new_stay.pk]
    page.click("header form button[type=submit]")  # log out

    browser_login(page, "county_officer")
    page.goto(f"/oversight/sweeps/{sweep.pk}/")
    page.click("[data-testid=close]")
    page.wait_for_url(re.compile(rf"/oversight/sweeps/{sweep.pk}/report/$"))
    totals = page.locator("[data-testid=report-totals]")
    assert totals.locator("[data-key=done]").text_content().strip() == "1"
    assert totals.locator("[data-key=new_people]").text_content().strip() == "1"
    assert totals.locator("[data-key=stays_ended]").text_content().strip() == "1"
    page.screenshot(path=str(settings.VAR_DIR / "browser-sweep-report.png"), full_page=True)
