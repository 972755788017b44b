"""On a phone: a station officer downloads the template, uploads a file with one bad row, sees the counts."""

import pytest

from liuguan.conftest import browser_login
from liuguan.registry.models import Person

from .conftest import good_row, write_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_upload_on_a_phone_and_get_the_result(phone_page, users, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    page = phone_page
    browser_login(page, "station_officer")
    page.goto("/collection/import/new/")
    with page.expect_download() as template:
        page.click("[data-testid=template-xlsx]")
    assert template.value.suggested_filename.endswith(".xlsx")
    path = write_csv(tmp_path / "登记.csv", [good_row(0), good_row(1, doc_number="5.11321E+17")], encoding="gbk")
    page.set_input_files("#id_file", str(path))
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_selector("#batch-progress[data-status=done]")
    assert page.text_content("[data-testid=accepted]").strip() == "1"
    assert page.text_content("[data-testid=rejected]").strip() == "1"
    assert "excel.scientific_notation" in page.text_content("[data-testid=rejected-rows]")
    page.screenshot(path=str(settings.VAR_DIR / "browser-import-done.png"), full_page=True)
    with page.expect_download() as result:
        page.click("[data-testid=result-link]")
    assert result.value.suggested_filename.endswith(".xlsx")
    assert Person.objects.count() == 1
