"""The feedback loop in a browser: a county officer opens the scorecard and drills down to the collectors of a
community, marks a field wrong on a person page, the collector (on a phone) sees the task and fixes it, and the
officer's scorecard row for that collector changes (open tasks 1 -> 0, fixed 0 -> 1).
"""

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import PHONE, browser_login, citizen_id
from liuguan.core.identity import china_today
from liuguan.oversight.models import FeedbackTask
from liuguan.registry.models import Person
from liuguan.registry.services import PersonInput, StayInput, person_register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cell(page, key, col) -> str:
    return page.text_content(f"[data-testid=scorecard] tr[data-key='{key}'] td[data-col={col}]").strip()


def test_officer_opens_a_task_the_collector_fixes_it_and_the_scorecard_shows_it(chromium, live_server, users, settings):
    collector, officer = users[Role.COLLECTOR], users[Role.COUNTY_OFFICER]
    person = person_register(
        actor=collector,
        person=PersonInput(
            doc_type="citizen_id", doc_number=citizen_id("511321", "19910405", "377"), name="周小明", ethnicity="01"
        ),
        stay=StayInput(community_code=collector.division_id, arrived_on=china_today(), reason="work"),
    ).person

    desk = chromium.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    phone = chromium.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE, is_mobile=True)
    try:
        page = desk.new_page()
        page.set_default_timeout(15_000)
        browser_login(page, officer.username)
        # The scorecard of the county, drilled down street -> community -> its collectors.
        page.goto("/oversight/scorecard/")
        page.click("tr[data-key='510104001'] a[data-drill]")
        page.click("tr[data-key='510104001001'] a[data-drill=collector]")
        page.wait_for_selector(f"[data-testid=scorecard][data-level=collector] tr[data-key='{collector.pk}']")
        assert (_cell(page, collector.pk, "feedback_open"), _cell(page, collector.pk, "feedback_fixed")) == ("0", "0")
        scorecard_url = page.url

        # On the person page: the ethnicity is wrong; the task goes back to the collector who registered it.
        page.goto(f"/registry/people/{person.pk}/")
        page.click("[data-testid=wrong-ethnicity] summary")
        page.select_option("#id_wrong_ethnicity_found_value", "07")
        page.fill("#id_wrong_ethnicity_note", "身份证上为彝族")
        page.click("[data-testid=wrong-ethnicity] button[type=submit]")
        page.wait_for_selector("[data-testid=feedback-history]")
        task = FeedbackTask.objects.get(person=person)
        assert task.number in page.text_content("[data-testid=feedback-history]")
        page.goto(scorecard_url)
        assert (_cell(page, collector.pk, "feedback_open"), _cell(page, collector.pk, "feedback_fixed")) == ("1", "0")

        # The collector, on a phone: the task is in their list; they fix it with the value found.
        mobile = phone.new_page()
        mobile.set_default_timeout(15_000)
        browser_login(mobile, collector.username)
        mobile.goto("/oversight/feedback/")
        mobile.click(f"[data-testid=task-{task.pk}] a")
        assert mobile.input_value("#id_value") == "07"
        mobile.click("[data-testid=fix]")
        mobile.wait_for_selector(".messages li")
        assert FeedbackTask.objects.get(pk=task.pk).status == FeedbackTask.Status.FIXED
        mobile.screenshot(path=str(settings.VAR_DIR / "browser-feedback-fixed.png"), full_page=True)
        assert Person.objects.get(pk=person.pk).ethnicity == "07"

        # The officer reloads the scorecard: the collector's open task is now a fixed one.
        page.goto(scorecard_url)
        assert (_cell(page, collector.pk, "feedback_open"), _cell(page, collector.pk, "feedback_fixed")) == ("0", "1")
        page.screenshot(path=str(settings.VAR_DIR / "browser-scorecard-feedback.png"), full_page=True)
    finally:
        desk.close()
        phone.close()
