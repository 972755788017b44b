"""In a browser: a province officer opens the dashboard, drills down to a community by clicking the bars of the
areas below, asks for the community's monthly report and downloads the PDF, whose text is Chinese.
"""

import datetime as dt
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from liuguan.conftest import browser_login
from liuguan.insight.models import Report
from liuguan.insight.reports import report_make
from liuguan.insight.rollup import rollup_rebuild

from . import measures_world as w

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# (community, open stays): three cities' worth of bars at the province, two counties in 成都, two streets in 锦江区.
PLAN = [("510104001001", 6), ("510104001002", 3), ("510104002001", 2), ("510107001001", 4), ("510703001001", 5)]


@pytest.fixture
def wide_page(chromium, live_server):
    """A desktop window: dashboards are opened in meetings on a large screen."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def _click_bar(page, chart: str, label: str) -> None:
    """Click the middle of the bar labelled `label` in a horizontal bar chart drawn by ECharts (a canvas)."""
    dom = page.locator(f'.chart[data-chart="{chart}"][data-ready="1"]')
    dom.scroll_into_view_if_needed()
    point = page.evaluate(
        """([selector, label]) => {
            const dom = document.querySelector(selector);
            const chart = echarts.getInstanceByDom(dom);
            const option = chart.getOption();
            const index = option.yAxis[0].data.indexOf(label);
            if (index < 0) { return null; }
            const value = option.series[0].data[index];
            const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [value / 2, index]);
            const box = dom.getBoundingClientRect();
            return { x: box.left + x, y: box.top + y };
        }""",
        [f'.chart[data-chart="{chart}"]', label],
    )
    assert point is not None, f"no bar labelled {label}"
    page.mouse.click(point["x"], point["y"])


def test_an_officer_drills_from_the_province_to_a_community_and_downloads_its_monthly_report(
    wide_page, users, settings, tmp_path
):
    # given: open stays in five communities of two cities, the cells counted; reports are written to tmp_path
    settings.VAR_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    for community, count in PLAN:
        for i in range(count):
            w.stay(community, arrived=dt.date(2024 + i // 12, 1 + (3 * i) % 12, 5), who=w.person(sex="MF"[i % 2]))
    rollup_rebuild()
    page = wide_page
    browser_login(page, "province_admin")
    # when: the province dashboard
    page.goto("/insight/")
    # then: the cities as bars, the freshness line, a chart for every panel
    assert page.locator("[data-testid=area-name]").inner_text().startswith("四川省")
    assert "0" in page.locator("[data-testid=freshness]").inner_text()
    page.locator('.chart[data-chart="children"][data-ready="1"]').wait_for()
    page.locator('.chart[data-chart="pyramid"][data-ready="1"]').wait_for()
    page.locator('.chart[data-chart="flows"][data-ready="1"]').wait_for()
    # when: clicking the bars down the tree
    for label, code, name in [
        ("成都市", "5101", "成都市"),
        ("锦江区", "510104", "锦江区"),
        ("督院街街道", "510104001", "督院街街道"),
        ("东御河沿社区", "510104001001", "东御河沿社区"),
    ]:
        _click_bar(page, "children", label)
        page.wait_for_url(f"**/insight/?area={code}")
        assert page.locator("[data-testid=area-name]").inner_text().startswith(name)
    # then: the community's own figures and the trail back up
    trail = page.locator("[data-testid=trail]").inner_text()
    assert trail.replace(" ", "") == "四川省›成都市›锦江区›督院街街道›东御河沿社区"
    assert page.locator("[data-panel=flows] [data-testid=total]").inner_text() == "6"
    pyramid = page.locator('.chart[data-chart="pyramid"][data-ready="1"]')
    pyramid.wait_for()
    assert page.evaluate(
        """() => {
            const option = echarts.getInstanceByDom(document.querySelector('.chart[data-chart="pyramid"]')).getOption();
            const sum = (s) => s.data.reduce((a, b) => a + Math.abs(b), 0);
            return [sum(option.series[0]), sum(option.series[1]), Math.min(...option.series[0].data) <= 0];
        }"""
    ) == [3, 3, True]
    # when: asking for the community's report of last month
    page.click("[data-testid=reports-link]")
    page.wait_for_url("**/insight/reports/?area=510104001001")
    page.click("[data-testid=request-report]")
    page.wait_for_url("**/insight/reports/?area=510104001001")
    assert page.locator("[data-testid=report-status]").count() == 1
    # the job runner makes it
    report = Report.objects.get(area_id="510104001001")
    assert report_make(report).status == Report.Status.DONE
    page.reload()
    with page.expect_download() as download:
        page.click("[data-testid=download-pdf]")
    pdf = download.value
    assert pdf.suggested_filename.startswith("510104001001-东御河沿社区-") and pdf.suggested_filename.endswith(".pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(pdf.path()).read_bytes())).pages)
    flat = text.replace("\n", "")
    # then: the Chinese headings and the community's name
    assert "流动人口月度报告" in flat and "关键指标" in flat and "东御河沿社区" in flat
    page.screenshot(path=str(settings.VAR_DIR / "browser-insight.png"))
