"""A collector on a phone registers someone, finds them by pinyin initials and sees only the masked number."""

import re

import pytest

from liuguan.conftest import IN_COMMUNITY, browser_login, citizen_id
from liuguan.registry.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_find_by_initials_and_see_masked_number(phone_page, users, settings):
    page = phone_page
    number = citizen_id("510104", "19900307", "123")
    browser_login(page, "collector")
    page.goto("/registry/people/new/")
    page.fill("#id_doc_number", number.lower())
    # Live validation reads the birth date and sex out of the number as the collector types.
    page.wait_for_selector("[data-testid=doc-check].ok")
    page.wait_for_function("() => document.getElementById('id_birth_date').value !== ''")
    assert page.input_value("#id_birth_date") == "1990-03-07"
    assert page.input_value("#id_sex") == "M"
    page.fill("#id_name", "曾小明")
    page.fill("#id_phone", "13912345678")
    page.select_option("#id_community_code", IN_COMMUNITY)
    page.fill("#id_address", "东御河沿街 8 号 2 单元")
    page.fill("#id_arrived_on", "2025-03-01")
    page.select_option("#id_reason", "work")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/registry/people/\d+/$"))
    masked = page.text_content("[data-testid=doc-masked]")
    assert masked == f"{number[:6]}********{number[-4:]}"
    assert number not in page.content()

    page.goto("/registry/people/")
    page.fill("#q", "zxm")
    page.wait_for_selector("[data-testid=results] a:has-text('曾小明')")
    row = page.text_content("[data-testid=results]")
    assert masked in row and number not in row
    page.screenshot(path=str(settings.VAR_DIR / "browser-registry.png"), full_page=True)

    person = Person.objects.get(doc_number=number)
    assert person.name_pinyin == "zengxiaoming" and person.stays.get().community_id == IN_COMMUNITY


def test_live_validation_names_the_broken_rule(phone_page, users):
    page = phone_page
    browser_login(page, "station_officer")
    page.goto("/registry/people/new/")
    page.fill("#id_doc_number", "110105194912310021")
    error = page.wait_for_selector("[data-testid=doc-check].error")
    assert "X" in error.text_content() and "1" in error.text_content()
