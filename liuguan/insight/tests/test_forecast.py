"""Forecasts: the Spring Festival regressor on known dates, the seasonal model on synthetic series whose truth is
known (the band holds the outcomes, the back-test beats the seasonal naive forecast), the fallbacks for short
series, and the stored fits.
"""

import datetime as dt

import numpy as np
import pytest
from django.utils.translation import gettext

from liuguan.insight import forecast as fc
from liuguan.insight.models import Forecast
from liuguan.insight.rollup import rollup_rebuild

from . import measures_world as w

MONTHS = fc.next_months("201912", 72)  # 2020-01 .. 2025-12


def synthetic(seed: int = 3, festival: float = -0.5, noise: float = 0.05) -> np.ndarray:
    """Arrivals with a trend, a yearly season and a dip that follows the festival from January to February."""
    t = np.arange(len(MONTHS))
    share = np.array([fc.festival_share(m) for m in MONTHS])
    rng = np.random.default_rng(seed)
    level = 5.3 + 0.01 * t + 0.25 * np.sin(2 * np.pi * t / 12) + festival * share + rng.normal(0, noise, len(t))
    return np.round(np.exp(level))


# --- The regressor -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("year", "day"),
    [
        (2020, dt.date(2020, 1, 25)),
        (2024, dt.date(2024, 2, 10)),
        (2025, dt.date(2025, 1, 29)),
        (2026, dt.date(2026, 2, 17)),
    ],
)
def test_spring_festival_is_the_lunar_new_years_day(year, day):
    assert fc.spring_festival(year) == day


def test_festival_share_splits_the_31_day_window_between_the_months_it_covers():
    # 2024: New Year's day 10 February; the window runs 26 January to 25 February.
    assert fc.festival_share("202401") == pytest.approx(6 / 31)
    assert fc.festival_share("202402") == pytest.approx(25 / 31)
    # 2025: 29 January; the window runs 14 January to 13 February.
    assert fc.festival_share("202501") == pytest.approx(18 / 31)
    assert fc.festival_share("202502") == pytest.approx(13 / 31)
    for month in ("202312", "202403", "202406", "202412"):
        assert fc.festival_share(month) == 0
    for year in range(2018, 2031):
        assert sum(fc.festival_share(f"{year}{m:02d}") for m in range(1, 13)) == pytest.approx(1)


def test_months_after_and_the_last_complete_month():
    assert fc.next_months("202411", 3) == ["202412", "202501", "202502"]
    assert fc.previous_month(dt.date(2025, 1, 15)) == "202412"


# --- The seasonal model --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted():
    """Five years observed, the sixth held out (one fit and its back-test, shared by the tests below)."""
    values = synthetic()
    return values, fc.forecast_series(MONTHS[:60], [int(v) for v in values[:60]])


def test_the_seasonal_model_is_used_and_finds_the_festival_dip(fitted):
    _values, result = fitted
    assert result["method"] == "sarima"
    assert result["note"] == ""
    # The truth is -0.5 on the log scale: the month holding the whole window loses about 40 % of its arrivals.
    assert -0.8 < result["params"]["festival"] < -0.25
    assert result["forecast"]["months"] == MONTHS[60:]


def test_the_bands_hold_the_held_out_year(fitted):
    values, result = fitted
    f = result["forecast"]
    actual = values[60:]
    inside95 = sum(lo <= a <= hi for a, lo, hi in zip(actual, f["lo95"], f["hi95"], strict=True))
    assert inside95 >= 10
    for lo95, lo80, mean, hi80, hi95 in zip(f["lo95"], f["lo80"], f["mean"], f["hi80"], f["hi95"], strict=True):
        assert 0 <= lo95 <= lo80 <= mean <= hi80 <= hi95
    # The point forecast is within 10 % of the outcome on average.
    assert np.mean(np.abs(np.array(f["mean"]) - actual) / actual) < 0.10
    # Bands widen with the horizon.
    assert f["hi95"][11] - f["lo95"][11] > f["hi95"][0] - f["lo95"][0]


def test_the_backtest_beats_the_seasonal_naive_forecast_on_trend_and_season(fitted):
    _values, result = fitted
    test = result["backtest"]
    assert test["origins"] == 12
    assert [h["horizon"] for h in test["by_horizon"]] == list(range(1, 13))
    assert test["by_horizon"][0]["count"] == 12  # every origin forecasts one month ahead
    assert test["by_horizon"][-1]["count"] == 1  # only the first origin sees 12 months ahead
    assert test["count"] == sum(range(1, 13))
    assert test["relative_mae"] < 0.8
    assert test["mase"] < 1
    assert test["mape"] < 10
    assert test["coverage95"] >= 0.8


def test_a_short_series_falls_back_and_says_so():
    values = [int(v) for v in synthetic()]
    none = fc.forecast_series(MONTHS[:2], values[:2])
    assert none["method"] == "none"
    assert none["forecast"] is None
    assert fc.note_text(none) == gettext("Fewer than 3 complete months observed: nothing to forecast.")

    naive = fc.forecast_series(MONTHS[:10], values[:10])
    assert naive["method"] == "naive"
    assert naive["forecast"]["mean"] == [float(values[9])] * 12
    assert fc.note_text(naive) == gettext("Only %(months)s months observed; the seasonal model needs %(needed)s.") % {
        "months": 10,
        "needed": 36,
    }
    assert naive["backtest"]["origins"] == 7  # origins 3..9: the naive method needs 3 months

    seasonal = fc.forecast_series(MONTHS[:30], values[:30])
    assert seasonal["method"] == "seasonal_naive"
    assert seasonal["forecast"]["mean"] == [float(v) for v in values[18:30]]
    assert seasonal["forecast"]["lo95"][0] < values[18] < seasonal["forecast"]["hi95"][0]
    assert seasonal["backtest"]["origins"] == 6  # origins 24..29


def test_a_flat_series_is_carried_forward_without_a_band():
    result = fc.forecast_series(MONTHS[:40], [5] * 40)
    assert result["method"] == "naive"
    assert result["note"] == "flat"
    assert result["forecast"]["lo95"] == result["forecast"]["hi95"] == [5.0] * 12


def test_a_series_the_model_cannot_fit_falls_back(monkeypatch):
    def broken(*args, **kwargs):
        raise fc.FitFailed("singular")

    monkeypatch.setitem(fc.PREDICT, "sarima", broken)
    values = [int(v) for v in synthetic()]
    result = fc.forecast_series(MONTHS[:48], values[:48], test=False)
    assert result["method"] == "seasonal_naive"
    assert fc.note_text(result) == gettext("The seasonal model could not be fitted to this series.")


# --- From the cells, stored ----------------------------------------------------------------------------------
@pytest.fixture
def arrivals_each_month(divisions):
    """One arrival in each month of 2024 and 2025 in a Jinjiang community, two in each March."""
    for year in (2024, 2025):
        for month in range(1, 13):
            for _i in range(2 if month == 3 else 1):
                w.stay(w.COMMUNITIES[0], arrived=dt.date(year, month, 10))
    rollup_rebuild()


def test_forecast_for_reads_complete_months_from_the_cells_and_stores_the_fit(arrivals_each_month):
    today = dt.date(2026, 1, 20)
    result = fc.forecast_for("510104", "arrivals", today=today)
    assert result["months"][0] == "202401"
    assert result["months"][-1] == "202512"  # January 2026 is not over
    assert result["observed"][2] == 2
    assert result["method"] == "seasonal_naive"  # 24 months: not yet three seasons
    assert result["forecast"]["mean"][2] == 2.0  # March again
    stored = Forecast.objects.get(area="510104", series="arrivals")
    assert stored.last_month == "202512"
    assert stored.method == "seasonal_naive"

    again = fc.forecast_for("510104", "arrivals", today=today)
    assert again["fitted_at"] == result["fitted_at"]  # used again, not fitted again
    assert Forecast.objects.count() == 1

    # Two late registrations of December arrivals: the series moved, the fit is made again.
    w.stay(w.COMMUNITIES[1], arrived=dt.date(2025, 12, 3))
    w.stay(w.COMMUNITIES[1], arrived=dt.date(2025, 12, 4))
    rollup_rebuild()
    moved = fc.forecast_for("510104", "arrivals", today=today)
    assert moved["fitted_at"] != result["fitted_at"]
    assert moved["observed"][-1] == 3
    assert Forecast.objects.count() == 1


def test_the_dashboard_forecast_has_the_shape_the_page_draws(arrivals_each_month):
    board = fc.dashboard_forecast("51", today=dt.date(2026, 1, 20), series="arrivals")
    assert len(board["months"]) == 24 + 12
    assert board["months"][0] == "2024-01"
    assert len(board["observed"]) == 24
    assert len(board["mean"]) == len(board["lower95"]) == len(board["upper80"]) == 12
    assert board["method"] == str(fc.METHODS["seasonal_naive"])
    assert board["errors"] == {}  # the seasonal naive method needs more than 24 months to be back-tested
    panel = fc.forecast_panel("51", "arrivals", today=dt.date(2026, 1, 20))
    assert panel.kind == "forecast"
    assert [s.name for s in panel.series][:2] == [gettext("Observed"), gettext("Forecast")]
    assert all(len(s.data) == len(panel.categories) for s in panel.series)


def test_the_months_a_register_spent_filling_up_are_left_out_of_the_fit(monkeypatch):
    # A register that went live empty: the stock climbs from 5 to its level over a year, then grows slowly.
    values = synthetic(noise=0.02)[:60]
    stock = [int(v) for v in np.concatenate([np.linspace(5, 4000, 12), 4000 + np.cumsum(values[12:])])]
    assert fc.start_up(stock) > 0
    assert fc.start_up([int(v) for v in values]) == 0  # arrivals from the first month: nothing to leave out
    result = fc.forecast_series(MONTHS[:60], stock, test=False)
    assert result["left_out"] == fc.start_up(stock)
    assert result["observed"] == stock  # shown whole, fitted without the start
    assert fc.note_text(result) == gettext(
        "The first %(months)s months, before the register reached a quarter of its current level, are left out of "
        "the fit."
    ) % {"months": result["left_out"]}
    width = result["forecast"]["hi95"][-1] - result["forecast"]["lo95"][-1]
    assert width < 0.2 * result["forecast"]["mean"][-1]
    # Fitted on the start-up as well, the band a year ahead is several times wider.
    monkeypatch.setattr(fc, "start_up", lambda values: 0)
    whole = fc.forecast_series(MONTHS[:60], stock, test=False)
    assert whole["forecast"]["hi95"][-1] - whole["forecast"]["lo95"][-1] > 3 * width
