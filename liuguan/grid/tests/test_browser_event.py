"""On a phone: a grid worker reports a fire hazard, the station officer routes it, the fire department accepts
and disposes of it; after the check on the spot and the closing, the reporter finds "is it solved?" in their day,
answers "not solved", and the event is open again, back with the department.
"""

import re

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import browser_login
from liuguan.grid.loading import load_categories
from liuguan.grid.models import EventCategory, GridEvent, State
from liuguan.grid.services.events import event_close, event_feedback

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _logout(page):
    page.click("header form button[type=submit]")


def _act(page, action: str, note: str = ""):
    if note:
        page.fill("[data-testid=action-form] textarea[name=note]", note)
    page.click(f"[data-testid=action-form] button[data-action={action}]")


def test_report_route_dispose_not_solved_reopens(phone_page, world, settings):
    # A transactional test earlier in the run may have flushed the categories the migration loaded.
    load_categories(EventCategory)
    page = phone_page
    # The grid worker reports on the phone form.
    browser_login(page, "grid_worker")
    page.goto("/grid/report/")
    page.select_option("#id_category", "fire_safety")
    page.select_option("#id_grid", world["grid"].code)
    page.fill("#id_description", "三楼楼道电动车充电，堵塞消防通道")
    page.fill("#id_address", "东御河沿街 8 号")
    page.click("[data-testid=report]")
    page.wait_for_url(re.compile(r"/grid/events/\d+/$"))
    event = GridEvent.objects.get()
    assert event.state == State.DISCOVERED
    _logout(page)

    # The station officer routes it: the category names the fire department.
    browser_login(page, "station_officer")
    page.goto(f"/grid/events/{event.pk}/")
    _act(page, "route")
    page.wait_for_selector("[data-testid=responsible]:has-text('消防')")
    _logout(page)

    # The department accepts, starts and disposes of it (htmx swaps the panel each time).
    browser_login(page, "fire")
    page.goto("/grid/today/")
    page.click("[data-testid=day-items] li[data-kind=event] a")
    page.wait_for_url(re.compile(rf"/grid/events/{event.pk}/$"))
    for action in ("accept", "start"):
        _act(page, action)
        page.wait_for_selector(f"[data-testid=steps] li[data-step={action}]")
    _act(page, "dispose", "已清理楼道，电动车移至集中充电点")
    page.wait_for_selector("[data-testid=steps] li[data-step=dispose]")
    _logout(page)

    # The check on the spot and the closing (their own pages are tested elsewhere).
    event_feedback(actor=world[Role.GRID_WORKER], event_id=event.pk, note="现场已整改")
    event_close(actor=world[Role.STATION_OFFICER], event_id=event.pk)

    # The reporter is asked in their day, and answers "not solved".
    browser_login(page, "grid_worker")
    page.goto("/grid/today/")
    page.click("[data-testid=day-items] li[data-kind=survey] a")
    page.wait_for_url(re.compile(r"/grid/survey/[^/]+/$"))
    page.check("input[name=solved][value=no]")
    page.fill("#id_comment", "晚上又有人在楼道充电")
    page.screenshot(path=str(settings.VAR_DIR / "browser-grid-survey.png"), full_page=True)
    page.click("[data-testid=answer]")
    page.wait_for_selector("[data-testid=survey-thanks]")

    event.refresh_from_db()
    assert event.state == State.TRANSMITTED and event.assigned_department_id == "fire_rescue"
    assert list(event.steps.values_list("action", flat=True)) == [
        "report",
        "route",
        "accept",
        "start",
        "dispose",
        "feedback",
        "close",
        "reopen",
        "route",
    ]
