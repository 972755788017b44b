"""On a phone: a landlord reports two tenants; the station officer sees the new stay with source "landlord" and,
for the tenant a collector had registered differently, the open disagreement.
"""

import datetime as dt
import re

import pytest

from liuguan.conftest import browser_login, citizen_id
from liuguan.core.identity import china_today
from liuguan.registry.models import Person, Stay

from .conftest import make_person, make_stay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _report(page, house, number, name, occurred_on):
    page.select_option("#id_kind", "arrival")
    page.select_option("#id_house_id", str(house.pk))
    page.fill("#id_doc_number", number)
    page.fill("#id_name", name)
    page.fill("#id_occurred_on", occurred_on.isoformat())
    page.fill("#id_room", "302")
    page.click("[data-testid=report-form] button[type=submit]")
    page.wait_for_selector(".messages li")


def test_landlord_reports_and_the_officer_sees_the_stay_and_the_disagreement(
    phone_page, users, landlord_a, house_a, settings
):
    today = china_today()
    page = phone_page
    first = citizen_id("511321", "19950505", "321")
    # The second tenant is on the register already: a collector recorded them at no house, a month ago.
    second = make_person("租客乙", citizen_id("511321", "19960606", "222"))
    make_stay(second, arrived=today - dt.timedelta(days=30))

    browser_login(page, "landlord_a")
    page.wait_for_url(re.compile(r"/compliance/duties/$"))
    assert page.is_visible("[data-testid=duty-holder-nav]")
    _report(page, house_a, first, "租客甲", today - dt.timedelta(days=1))
    assert page.is_visible("[data-testid=own-people] >> text=租客甲")
    _report(page, house_a, second.doc_number, "租客乙", today - dt.timedelta(days=2))
    page.screenshot(path=str(settings.VAR_DIR / "browser-landlord-duties.png"), full_page=True)
    page.click("header form button[type=submit]")  # log out

    tenant = Person.objects.get(doc_number=first)
    assert Stay.objects.get(person=tenant).source_channel == "landlord"
    browser_login(page, "station_officer")
    page.goto(f"/registry/people/{tenant.pk}/")
    assert "房东" in page.text_content("[data-testid=stays]")
    page.goto("/compliance/disagreements/")
    table = page.text_content("[data-testid=disagreements]")
    assert "租客乙" in table and house_a.address in table
    page.screenshot(path=str(settings.VAR_DIR / "browser-officer-disagreements.png"), full_page=True)
    assert Stay.objects.get(person=second).house_id is None  # never overwritten silently
