"""On a phone: a city officer opens someone who lived in 锦江区 and then moved to 武侯区, and sees the path."""

import datetime as dt

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import PASSWORD, browser_login, citizen_id
from liuguan.registry.services import PersonInput, StayInput, person_register, stay_depart, stay_register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_officer_sees_the_trajectory_across_two_counties_in_order(phone_page, users, settings):
    # given: registered in 锦江区 by its collector, departed, then registered in 武侯区 by that county's collector
    wuhou = User(username="collector_wuhou", role=Role.COLLECTOR, division_id="510107001001", full_name="武侯采集员")
    wuhou.set_password(PASSWORD)
    wuhou.save()
    done = person_register(
        actor=users[Role.COLLECTOR],
        person=PersonInput(
            doc_type="citizen_id", doc_number=citizen_id("511321", "19880412", "317"), name="赵六", hukou_code="511321"
        ),
        stay=StayInput(
            community_code="510104001001", arrived_on=dt.date(2024, 3, 1), reason="work", address="督院街 3 号"
        ),
    )
    stay_depart(actor=users[Role.COLLECTOR], stay_id=done.stay.pk, departed_on=dt.date(2025, 1, 10))
    stay_register(
        actor=wuhou,
        person=done.person,
        stay=StayInput(
            community_code="510107001001", arrived_on=dt.date(2025, 1, 12), reason="work", address="锦里 7 号"
        ),
    )
    # when
    page = phone_page
    browser_login(page, "city_officer")
    page.goto(f"/registry/people/{done.person.pk}/")
    # then: the path runs from the hukou county through both places, oldest first
    panel = page.locator("[data-testid=trajectory]")
    panel.scroll_into_view_if_needed()
    nodes = [n.strip() for n in panel.locator("[data-testid=path-node]").all_text_contents()]
    assert len(nodes) == 3
    assert "南部县" in nodes[0]
    assert nodes[1].endswith("锦江区督院街街道东御河沿社区") and nodes[2].endswith("武侯区浆洗街街道锦里社区")
    assert "2025-01-12" in panel.locator("ol.path").inner_text()
    lanes = panel.locator("[data-testid=lane]")
    assert lanes.count() == 2
    assert "东御河沿社区" in lanes.nth(0).inner_text() and "锦里社区" in lanes.nth(1).inner_text()
    first = lanes.nth(0).locator(".tl-bar").bounding_box()
    second = lanes.nth(1).locator(".tl-bar").bounding_box()
    assert first["x"] + first["width"] <= second["x"] + 1
    panel.screenshot(path=str(settings.VAR_DIR / "browser-trajectory.png"))
