import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import login


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"]["ok"] is True


def test_every_role_has_a_home_with_the_six_systems(users):
    for role, user in users.items():
        page = login(user).get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        for label in ("宏观决策", "市级管理", "部门交换", "流出人口", "市级采集", "区县管理"):
            assert label in page, (role, label)


def test_a_system_page_links_to_what_is_built_and_claims_nothing_more(users):
    page = login(users[Role.CITY_OFFICER]).get("/system/insight/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/insight/"' in page and 'href="/insight/reports/"' in page
    assert "Not built yet" not in page  # every item of macro decision is built now


def test_english_is_the_second_language(users):
    page = login(users[Role.COLLECTOR]).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Macro decision" in page and "宏观决策" not in page


def test_static_assets_are_served_by_the_app(client):
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/htmx.min.js") and finders.find("css/liuguan.css")
    page = client.get("/accounts/login/").content.decode()
    assert "/static/vendor/htmx.min.js" in page and "https://" not in page
