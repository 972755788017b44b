"""Trends and forecasts: a 12-month forecast of an area's monthly series with 80 % and 95 % bands, back-tested.

The method (a statistician's default for monthly counts with a yearly season, Box and Jenkins' "airline model"):
seasonal ARIMA (0,1,1)(0,1,1)12 on log(1 + y), with one regressor for the Spring Festival, whose date moves
between late January and mid February and so moves the yearly dip in arrivals between the two months. The
regressor is the share of the festival travel window (15 days before to 15 days after the lunar New Year's
day, 31 days, the New Year's day from the `holidays` package's China calendar) that falls in each month; the
seasonal difference removes the average season, the regressor the year-to-year shift. Parameters are
estimated by maximum likelihood (statsmodels SARIMAX, exact diffuse likelihood of the differenced series); the
forecast and its bands come from the Kalman filter on the undifferenced series and are turned back with
exp(x) - 1, so the point forecast is the median and the bands are never negative.

Back-test (rolling origin, Tashman 2000): the model is fitted again at each of the last 12 months as origin on
the data up to it and forecasts up to 12 months ahead wherever the outcome is known. Reported: MAPE (months
with a zero outcome left out), MASE (errors scaled by the in-sample mean absolute change from the same month a
year earlier, Hyndman and Koehler 2006), the mean absolute error relative to the seasonal naive forecast
(the same month last year) at the same origins and horizons, and how often the 80 % and 95 % bands held the
outcome.

Months before the series first reaches a quarter of its median over the last year are left out of the fit: they
show the register filling up when it went live, not people moving. Fallbacks, stated in the result: fewer than 36
months (three seasons) use the seasonal naive forecast with bands from last years' changes (24 months at least),
then the naive forecast (last month carried forward, bands from month-to-month changes; 3 months at least); fewer
than 3 months give no forecast. The same fallback is used when the seasonal model cannot be fitted.

Only complete months are used: the current month is still filling up. Fits are kept in `Forecast` per area,
series and last month, and used again while the observed months have not moved by more than 1 or 0.5 %.
"""

import contextlib
import ctypes
import datetime as dt
import math
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Forecast
from .panels import CellSource, LiveSource, PanelData, Series, month_label, monthly_flows

HORIZON = 12
BACKTEST_ORIGINS = 12
SEASONAL_MIN = 36  # three seasons: two are used up by the differences, one is left to estimate from
SEASONAL_NAIVE_MIN = 24
NAIVE_MIN = 3
WINDOW_BEFORE, WINDOW_AFTER = 15, 15
FESTIVAL = "Chinese New Year (Spring Festival)"
Z80, Z95 = 1.2815515655446004, 1.959963984540054
HISTORY_SHOWN = 36  # months of history beside the forecast on the dashboard and in the report
# A stored fit is used again while every observed month is within this of the current figure.
TOLERANCE_ABS, TOLERANCE_REL = 1, 0.005

SERIES = {
    "arrivals": gettext_lazy("Arrivals"),
    "departures": gettext_lazy("Departures"),
    "stock": gettext_lazy("Living here at the month's end"),
}
METHODS = {
    "sarima": gettext_lazy(
        "Seasonal ARIMA (0,1,1)(0,1,1)12 on log(1+y) with a Spring Festival regressor (maximum likelihood)"
    ),
    "seasonal_naive": gettext_lazy("Seasonal naive: the same month last year, bands from last years' changes"),
    "naive": gettext_lazy("Naive: the last month carried forward, bands from month-to-month changes"),
    "none": gettext_lazy("No forecast"),
}
NOTES = {
    "short": gettext_lazy("Only %(months)s months observed; the seasonal model needs %(needed)s."),
    "failed": gettext_lazy("The seasonal model could not be fitted to this series."),
    "empty": gettext_lazy("Fewer than 3 complete months observed: nothing to forecast."),
    "flat": gettext_lazy("The series never changes: the forecast carries it forward."),
}

LEFT_OUT = gettext_lazy(
    "The first %(months)s months, before the register reached a quarter of its current level, are left out of the fit."
)


# --- The Spring Festival regressor ---------------------------------------------------------------------------
@lru_cache(maxsize=256)
def spring_festival(year: int) -> dt.date:
    """The lunar New Year's day of a year (the first day the China calendar names the Spring Festival)."""
    import holidays

    days = [day for day, name in holidays.China(years=year).items() if name == FESTIVAL]
    return min(days)


def festival_share(yyyymm: str) -> float:
    """The share of the festival window (15 days before to 15 days after New Year's day) inside the month."""
    year, month = int(yyyymm[:4]), int(yyyymm[4:])
    first = dt.date(year, month, 1)
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    days = 0
    # The window of the year before can reach into January only when New Year's day falls after mid-January.
    for festival_year in (year, year + 1):
        day = spring_festival(festival_year)
        start, end = day - dt.timedelta(days=WINDOW_BEFORE), day + dt.timedelta(days=WINDOW_AFTER)
        overlap = (min(end, last) - max(start, first)).days + 1
        days += max(overlap, 0)
    return days / (WINDOW_BEFORE + WINDOW_AFTER + 1)


def next_months(last: str, count: int) -> list[str]:
    """The `count` months after 'yyyymm' `last`."""
    y, m = int(last[:4]), int(last[4:])
    out = []
    for _i in range(count):
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append(f"{y:04d}{m:02d}")
    return out


def previous_month(day: dt.date) -> str:
    """'yyyymm' of the month before the one `day` lies in: the last complete month."""
    first = day.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}{first.month:02d}"


# --- The methods ---------------------------------------------------------------------------------------------
@dataclass
class Prediction:
    """A forecast on the log(1+y) scale: the centre and the standard error of each month ahead."""

    mean: np.ndarray
    se: np.ndarray
    params: dict

    def band(self, z: float) -> tuple[np.ndarray, np.ndarray]:
        return self.mean - z * self.se, self.mean + z * self.se


class FitFailed(Exception):
    pass


@contextlib.contextmanager
def _one_blas_thread():
    """Tiny matrices: OpenBLAS threads only fight over the cores (a fit takes 10x longer on a busy machine).

    `openblas_set_num_threads_local` (OpenBLAS 0.3.27+) changes only the calling thread; without it, nothing.
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX  # noqa: F401 (loads scipy's OpenBLAS first)

    restore = []
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and ".so" in line}
        for path in sorted(paths):
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
            fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_int]
            restore.append((fn, fn(1)))
    except (OSError, AttributeError):
        pass
    try:
        yield
    finally:
        for fn, previous in restore:
            fn(previous)


def _sarima(z: np.ndarray, months: list[str], horizon: int, start=None) -> Prediction:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    future = next_months(months[-1], horizon)
    x = np.array([festival_share(m) for m in months])
    x_future = np.array([festival_share(m) for m in future])
    spec = {"order": (0, 1, 1), "seasonal_order": (0, 1, 1, 12), "concentrate_scale": True, "trend": "n"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # Estimating on the differenced series is several times faster; the same parameters then drive the
            # Kalman filter of the full model, whose forecasts and variances are on the original (log) scale.
            fitted = SARIMAX(z, exog=x, simple_differencing=True, **spec).fit(
                disp=False, start_params=start, maxiter=200
            )
            full = SARIMAX(z, exog=x, **spec).filter(fitted.params)
            forecast = full.get_forecast(horizon, exog=x_future.reshape(-1, 1))
        except (np.linalg.LinAlgError, ValueError) as error:
            raise FitFailed(str(error)) from error
    mean = np.asarray(forecast.predicted_mean, dtype=float)
    se = np.asarray(forecast.se_mean, dtype=float)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(se))) or np.any(se > 5):
        raise FitFailed("the forecast is not finite")
    names = ["festival", "ma", "seasonal_ma"]
    params = dict(zip(names, (float(p) for p in fitted.params), strict=False))
    params["sigma2"] = float(full.scale)
    params["aic"] = float(fitted.aic) if np.isfinite(fitted.aic) else None
    params["raw"] = [float(p) for p in fitted.params]
    return Prediction(mean, se, params)


def _seasonal_naive(z: np.ndarray, months: list[str], horizon: int, start=None) -> Prediction:
    changes = z[12:] - z[:-12]
    sd = float(np.std(changes, ddof=1)) if len(changes) > 1 else 0.0
    steps = np.arange(1, horizon + 1)
    mean = np.array([z[len(z) - 12 + (h - 1) % 12] for h in steps])
    se = sd * np.sqrt(np.ceil(steps / 12))
    return Prediction(mean, se, {"sd": sd})


def _naive(z: np.ndarray, months: list[str], horizon: int, start=None) -> Prediction:
    changes = np.diff(z)
    sd = float(np.std(changes, ddof=1)) if len(changes) > 1 else 0.0
    steps = np.arange(1, horizon + 1)
    return Prediction(np.full(horizon, z[-1]), sd * np.sqrt(steps), {"sd": sd})


PREDICT = {"sarima": _sarima, "seasonal_naive": _seasonal_naive, "naive": _naive}
MIN_MONTHS = {"sarima": SEASONAL_MIN, "seasonal_naive": SEASONAL_NAIVE_MIN, "naive": NAIVE_MIN}


def _choose(values: np.ndarray) -> tuple[str, str]:
    n = len(values)
    if n < NAIVE_MIN:
        return "none", "empty"
    if np.ptp(values) == 0:
        return "naive", "flat"
    if n < SEASONAL_NAIVE_MIN:
        return "naive", "short"
    if n < SEASONAL_MIN:
        return "seasonal_naive", "short"
    return "sarima", ""


def _predict(method: str, values: np.ndarray, months: list[str], horizon: int, start=None) -> tuple[str, Prediction]:
    """The method's forecast; the seasonal model falls back to the seasonal naive one when it cannot be fitted."""
    z = np.log1p(values)
    try:
        return method, PREDICT[method](z, months, horizon, start)
    except FitFailed:
        if method != "sarima":
            raise
        return "seasonal_naive", _seasonal_naive(z, months, horizon)


# --- Back-test -----------------------------------------------------------------------------------------------
def _ratio(num: float, den: float):
    return round(num / den, 4) if den else None


def backtest(method: str, values: np.ndarray, months: list[str], *, origins: int = BACKTEST_ORIGINS, start=None):
    """Rolling-origin errors of `method` at the last `origins` months, horizons 1..12 where the outcome is known."""
    n = len(values)
    first = max(MIN_MONTHS[method], n - origins)
    if method == "none" or first >= n:
        return None
    rows = []  # (horizon, actual, forecast, lo80, hi80, lo95, hi95, scale, seasonal naive)
    for origin in range(first, n):
        train, known = values[:origin], values[origin : origin + HORIZON]
        used, prediction = _predict(method, train, months[:origin], len(known), start)
        point = np.expm1(prediction.mean)
        lo80, hi80 = (np.expm1(b) for b in prediction.band(Z80))
        lo95, hi95 = (np.expm1(b) for b in prediction.band(Z95))
        lag = 12 if origin > 12 else 1
        scale = float(np.mean(np.abs(train[lag:] - train[:-lag]))) if origin > lag else 0.0
        for h, actual in enumerate(known, start=1):
            snaive = train[origin - 12 + (h - 1) % 12] if origin >= 12 else None
            rows.append((h, actual, point[h - 1], lo80[h - 1], hi80[h - 1], lo95[h - 1], hi95[h - 1], scale, snaive))
    return _errors(rows, len(range(first, n)))


def _errors(rows: list[tuple], origins: int) -> dict:
    def summary(part: list[tuple]) -> dict:
        errors = [abs(r[2] - r[1]) for r in part]
        pct = [abs(r[2] - r[1]) / abs(r[1]) for r in part if r[1]]
        scaled = [abs(r[2] - r[1]) / r[7] for r in part if r[7]]
        naive = [abs(r[8] - r[1]) for r in part if r[8] is not None]
        ours = [abs(r[2] - r[1]) for r in part if r[8] is not None]
        return {
            "count": len(part),
            "mae": round(float(np.mean(errors)), 3) if errors else None,
            "mape": round(100 * float(np.mean(pct)), 2) if pct else None,
            "mase": round(float(np.mean(scaled)), 4) if scaled else None,
            "relative_mae": _ratio(float(np.sum(ours)), float(np.sum(naive))) if naive else None,
            "coverage80": round(float(np.mean([r[3] <= r[1] <= r[4] for r in part])), 4) if part else None,
            "coverage95": round(float(np.mean([r[5] <= r[1] <= r[6] for r in part])), 4) if part else None,
        }

    by_horizon = []
    for h in range(1, HORIZON + 1):
        part = [r for r in rows if r[0] == h]
        if part:
            by_horizon.append({"horizon": h, **summary(part)})
    return {"origins": origins, **summary(rows), "by_horizon": by_horizon}


# --- The forecast of a series --------------------------------------------------------------------------------
def forecast_series(months: list[str], values: list[int], *, horizon: int = HORIZON, test: bool = True) -> dict:
    """Forecast, bands and back-test of one monthly series (plain data: lists and numbers, JSON-ready)."""
    started = time.monotonic()
    left_out = start_up(values)
    y = np.asarray(values[left_out:], dtype=float)
    months_fitted = list(months[left_out:])
    method, note = _choose(y)
    result = {
        "months": list(months),
        "observed": [int(v) for v in values],
        "left_out": left_out,
        "method": method,
        "note": note,
        "note_args": {"months": len(y), "needed": SEASONAL_MIN} if note == "short" else {},
        "horizon": horizon,
        "window": [-WINDOW_BEFORE, WINDOW_AFTER],
        "forecast": None,
        "backtest": None,
        "params": {},
    }
    if method == "none":
        result["seconds"] = round(time.monotonic() - started, 3)
        return result
    with _one_blas_thread():
        used, prediction = _predict(method, y, months_fitted, horizon)
        if used != method:
            result["method"], result["note"], result["note_args"] = used, "failed", {}
        future = next_months(months[-1], horizon)
        lo80, hi80 = prediction.band(Z80)
        lo95, hi95 = prediction.band(Z95)
        result["forecast"] = {
            "months": future,
            "festival": [round(festival_share(m), 4) for m in future],
            "mean": _counts(prediction.mean),
            "lo80": _counts(lo80),
            "hi80": _counts(hi80),
            "lo95": _counts(lo95),
            "hi95": _counts(hi95),
        }
        result["params"] = {k: v for k, v in prediction.params.items() if k != "raw"}
        if test:
            start = prediction.params.get("raw") if used == "sarima" else None
            result["backtest"] = backtest(used, y, months_fitted, start=start)
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def start_up(values: list[int]) -> int:
    """How many leading months to leave out: those before the series first reaches a quarter of its median over
    the last 12 months. A register starts empty and fills as people are registered; those months say how fast
    the register filled, not how people move, and a model fitted on them gives bands many times too wide.
    """
    if len(values) < 24:
        return 0
    level = float(np.median(values[-12:])) / 4
    for i, value in enumerate(values):
        if value >= level:
            return i
    return 0


def _counts(log_values: np.ndarray) -> list[float]:
    return [round(max(float(math.expm1(v)), 0.0), 1) for v in log_values]


def observed_series(area: str, series: str, *, today: dt.date, source: str = "cells") -> tuple[list[str], list[int]]:
    """The complete months of one series of an area, from the first arrival to the month before `today`."""
    src = CellSource(area) if source == "cells" else LiveSource(area)
    axis, arrivals, departures, stock = monthly_flows(src, today)
    values = {"arrivals": arrivals, "departures": departures, "stock": stock}[series]
    last = previous_month(today)
    keep = [i for i, m in enumerate(axis) if m <= last]
    return [axis[i] for i in keep], [values[i] for i in keep]


def _close(stored: list[int], current: list[int]) -> bool:
    return len(stored) == len(current) and all(
        abs(a - b) <= max(TOLERANCE_ABS, TOLERANCE_REL * abs(b)) for a, b in zip(stored, current, strict=True)
    )


def forecast_for(area: str, series: str = "arrivals", *, today: dt.date | None = None, refit: bool = False) -> dict:
    """The forecast of one series of an area (checked against the reader's jurisdiction by the caller), from the
    cells; a stored fit is used while the series has not gained a month or moved by more than 1 or 0.5 %.
    """
    from liuguan.core.identity import china_today

    if series not in SERIES:
        raise ValueError(f"not a series: {series!r}")
    today = today or china_today()
    months, values = observed_series(area, series, today=today)
    last = months[-1] if months else previous_month(today)
    stored = Forecast.objects.filter(area=area, series=series, last_month=last).first()
    if stored is not None and not refit and _close(stored.result.get("observed", []), values):
        return {**stored.result, "area": area, "series": series, "fitted_at": stored.fitted_at.isoformat()}
    result = forecast_series(months, values)
    fields = {"method": result["method"], "result": result, "seconds": result["seconds"]}
    now = timezone.now()
    try:
        with transaction.atomic():
            Forecast.objects.update_or_create(
                area=area, series=series, last_month=last, defaults={**fields, "fitted_at": now}
            )
    except IntegrityError:
        pass  # another reader stored the same fit at the same moment
    return {**result, "area": area, "series": series, "fitted_at": now.isoformat()}


def forecast_cached(area: str, series: str = "arrivals", *, today: dt.date | None = None) -> dict | None:
    """The latest stored fit for the last complete month, or None (no fitting: for pages that must be quick)."""
    from liuguan.core.identity import china_today

    last = previous_month(today or china_today())
    stored = Forecast.objects.filter(area=area, series=series, last_month__lte=last).order_by("-last_month").first()
    if stored is None:
        return None
    return {**stored.result, "area": area, "series": series, "fitted_at": stored.fitted_at.isoformat()}


# --- What pages and reports show -----------------------------------------------------------------------------
def method_label(result: dict) -> str:
    return str(METHODS.get(result.get("method", "none"), result.get("method", "")))


def note_text(result: dict) -> str:
    """The result's notes as one text: a fallback, and months left out at the start."""
    parts = []
    note = result.get("note")
    if note:
        parts.append(str(NOTES[note]) % result.get("note_args", {}) if note in NOTES else note)
    if result.get("left_out"):
        parts.append(str(LEFT_OUT) % {"months": result["left_out"]})
    return " ".join(parts)


def forecast_panel(
    area: str, series: str = "arrivals", *, today: dt.date | None = None, result: dict | None = None
) -> PanelData:
    """The forecast as a panel (kind "forecast"): the last 36 observed months, then 12 forecast months.

    Series, all as long as `categories` with None where they have no value: observed, forecast (starting at the
    last observed month so the lines join), and the bands lo80/hi80/lo95/hi95 (forecast months only). `figures`
    holds the method, the note, the back-test errors and the festival window.
    """
    result = result or forecast_for(area, series, today=today)
    months = result["months"][-HISTORY_SHOWN:]
    observed = result["observed"][-HISTORY_SHOWN:]
    future = result["forecast"]["months"] if result.get("forecast") else []
    pad = [None] * len(future)
    categories = [month_label(m) for m in (*months, *future)]
    data = [Series(str(_("Observed")), [*observed, *pad], kind="line")]
    if future:
        fc = result["forecast"]
        join = [None] * (len(months) - 1) + ([observed[-1]] if observed else [])
        before = [None] * len(months)
        data += [
            Series(str(_("Forecast")), [*join, *fc["mean"]], kind="line"),
            Series(str(_("80% band, low")), [*before, *fc["lo80"]], stack="band80", kind="band"),
            Series(str(_("80% band, high")), [*before, *fc["hi80"]], stack="band80", kind="band"),
            Series(str(_("95% band, low")), [*before, *fc["lo95"]], stack="band95", kind="band"),
            Series(str(_("95% band, high")), [*before, *fc["hi95"]], stack="band95", kind="band"),
        ]
    test = result.get("backtest") or {}
    figures = {
        "method": method_label(result),
        "note": note_text(result),
        "series": str(SERIES[series]),
        "festival_window": str(_("%(before)s days before to %(after)s days after the Spring Festival"))
        % {"before": WINDOW_BEFORE, "after": WINDOW_AFTER},
        "backtest_origins": test.get("origins"),
        "mape": test.get("mape"),
        "mase": test.get("mase"),
        "relative_mae": test.get("relative_mae"),
        "coverage80": test.get("coverage80"),
        "coverage95": test.get("coverage95"),
        "by_horizon": test.get("by_horizon", []),
    }
    return PanelData(
        name="forecast",
        title=str(_("Forecast for the next 12 months: %(series)s")) % {"series": SERIES[series]},
        kind="forecast",
        categories=categories,
        keys=[*months, *future],
        series=data,
        total=round(sum(result["forecast"]["mean"])) if future else None,
        figures=figures,
        note=note_text(result),
    )


def backtest_errors(result: dict) -> dict[str, str]:
    """The back-test's headline errors as printed text, by their (translated) names."""
    test = result.get("backtest") or {}
    if not test:
        return {}

    def pct(value):
        return "-" if value is None else f"{value:.1%}"

    def num(value):
        return "-" if value is None else f"{value:.2f}"

    return {
        str(_("MAPE")): "-" if test.get("mape") is None else f"{test['mape']:.1f}%",
        str(_("MASE")): num(test.get("mase")),
        str(_("error against the seasonal naive forecast")): num(test.get("relative_mae")),
        str(_("inside the 80% band")): pct(test.get("coverage80")),
        str(_("inside the 95% band")): pct(test.get("coverage95")),
    }


def dashboard_forecast(area: str, *, today: dt.date | None = None, series: str = "stock") -> dict:
    """The dashboard's forecast of one series (the stock by default): the last 36 observed months and 12 ahead.

    Fits on a cache miss (seconds: the back-test refits the model 12 times); `forecast_cached` never fits.
    Keys: months (labels of observed then forecast months), observed, mean, lower80, upper80, lower95, upper95
    (forecast months only), method and note (text), errors (back-test figures, name -> text), backtest (raw).
    """
    result = forecast_for(area, series, today=today)
    months = result["months"][-HISTORY_SHOWN:]
    fc = result.get("forecast") or {}
    future = fc.get("months", [])
    return {
        "series": series,
        "series_label": str(SERIES[series]),
        "months": [month_label(m) for m in (*months, *future)],
        "observed": result["observed"][-HISTORY_SHOWN:],
        "mean": fc.get("mean", []),
        "lower80": fc.get("lo80", []),
        "upper80": fc.get("hi80", []),
        "lower95": fc.get("lo95", []),
        "upper95": fc.get("hi95", []),
        "method": method_label(result),
        "note": note_text(result),
        "errors": backtest_errors(result),
        "backtest": result.get("backtest"),
        "fitted_at": result.get("fitted_at"),
    }
