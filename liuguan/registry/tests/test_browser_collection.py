"""On a phone: a collector registers someone, is warned of a likely duplicate, then records a departure."""

import re

import pytest

from liuguan.conftest import IN_COMMUNITY, browser_login, citizen_id
from liuguan.registry.models import DuplicateReview, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill_registration(page, number, name):
    page.goto("/registry/people/new/")
    page.fill("#id_doc_number", number)
    page.wait_for_selector("[data-testid=doc-check].ok")
    page.fill("#id_name", name)
    page.select_option("#id_community_code", IN_COMMUNITY)
    page.fill("#id_arrived_on", "2025-03-01")
    page.select_option("#id_reason", "work")
    page.click("main form button[type=submit]:not([formaction])")


def test_register_be_warned_of_a_likely_duplicate_and_record_departure(phone_page, users, person_in, settings):
    page = phone_page
    browser_login(page, "collector")
    number = citizen_id("510104", "19900307", "551")
    _fill_registration(page, number, "张叁")
    warning = page.wait_for_selector("[data-testid=likely-duplicates]")
    assert person_in.doc_number_masked in warning.text_content()
    page.screenshot(path=str(settings.VAR_DIR / "browser-duplicate-warning.png"), full_page=True)
    # A different person: tick the candidate and register again.
    page.check(f"[data-testid=different-{person_in.pk}]")
    page.click("main form button[type=submit]:not([formaction])")
    page.wait_for_url(re.compile(r"/registry/people/\d+/$"))
    new_person = Person.objects.get(doc_number=number)
    assert DuplicateReview.objects.get().decision == "different"

    page.click("text=登记离开")
    page.fill("#id_departed_on", "2025-06-30")
    page.fill("#id_destination", "绵阳市涪城区")
    page.click("details[open] form button[type=submit]")
    page.wait_for_selector("text=2025-06-30")
    assert new_person.stays.get().departed_on.isoformat() == "2025-06-30"
