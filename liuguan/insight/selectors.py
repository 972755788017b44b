"""Reads of macro decision for pages and the API: the panels of one area inside the reader's jurisdiction.

Every panel is built from the rollup cells (`panels.CellSource`); officers may ask for the same panels from a
direct query over the live tables (`source="live"`) to check them, which is slower. An area outside the
jurisdiction, or a panel that does not exist, answers as missing (NotFound), so nothing tells a reader what
lies beyond their own area.
"""

import datetime as dt
from dataclasses import dataclass, field

from liuguan.accounts.roles import OFFICERS
from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today
from liuguan.geo.models import CODE_LENGTHS, Division
from liuguan.oversight.areas import area_in_scope, area_trail

from .panels import PANELS, PanelData, build_panel
from .rollup import freshness

SOURCES = ("cells", "live")


@dataclass
class Dashboard:
    area: Division
    trail: list[Division]
    source: str
    today: dt.date
    panels: list[PanelData]
    freshness: dict = field(default_factory=dict)

    @property
    def level_label(self):
        return CODE_LENGTHS[len(self.area.code)].label


def may_read_live(user) -> bool:
    """The direct query over the live tables is heavy: officers may run it to check the cells, auditors may not."""
    return getattr(user, "role", None) in OFFICERS and user.can("insight.view")


def _source(user, source: str | None) -> str:
    source = source or "cells"
    if source not in SOURCES or (source == "live" and not may_read_live(user)):
        return "cells"
    return source


def dashboard_area(*, user, area: str | None) -> Division:
    """The division asked for, inside the reader's jurisdiction (their own when none is asked for)."""
    return area_in_scope(user, area)


def dashboard(*, user, area: str | None = None, source: str | None = None, today: dt.date | None = None) -> Dashboard:
    """Every panel of one area of the reader's jurisdiction, with the breadcrumbs and the cells' freshness."""
    division = area_in_scope(user, area)
    source = _source(user, source)
    today = today or china_today()
    panels = [build_panel(name, division.code, source=source, today=today) for name in PANELS]
    return Dashboard(
        area=division,
        trail=area_trail(user, division.code),
        source=source,
        today=today,
        panels=panels,
        freshness=freshness(),
    )


@dataclass
class OnePanel:
    area: Division
    source: str
    panel: PanelData
    freshness: dict


def dashboard_panel(
    *, user, name: str, area: str | None = None, source: str | None = None, today: dt.date | None = None
) -> OnePanel:
    """One panel of one area of the reader's jurisdiction; an unknown panel name is missing."""
    division = area_in_scope(user, area)
    if name not in PANELS:
        raise NotFound()
    source = _source(user, source)
    panel = build_panel(name, division.code, source=source, today=today or china_today())
    return OnePanel(area=division, source=source, panel=panel, freshness=freshness())


FORECAST_SERIES = ("stock", "arrivals", "departures")


def area_forecast(*, user, area: str | None = None, series: str = "stock", today: dt.date | None = None) -> dict:
    """The 12-month forecast of one monthly series of an area of the reader's jurisdiction, with its back-test.

    A fit takes seconds when the series has gained a month since the last one (insight.forecast keeps fits), so
    the dashboard asks for it apart from the panels.
    """
    from .forecast import dashboard_forecast

    division = area_in_scope(user, area)
    if series not in FORECAST_SERIES:
        raise NotFound()
    return {"area": division.code, **dashboard_forecast(division.code, today=today or china_today(), series=series)}
