"""The month and period parsers behind reports, the scorecard and the flow matrix, on anything at all: a month
or a period back, or InvalidInput; what they accept reads back as itself."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from liuguan.core.errors import InvalidInput
from liuguan.insight.reports import first_of_month
from liuguan.outflow.selectors_flows import parse_period, parse_top
from liuguan.oversight.selectors_scorecard_measures import Period

TODAY = dt.date(2026, 6, 30)
# Shapes close to a month or period, with digits of other scripts (² passes str.isdigit, int() refuses it).
period_like = st.text(st.sampled_from("0123456789-/Qq ²³١٢０１"), max_size=9)
hostile = st.text(st.characters(codec=None), max_size=12) | period_like | st.integers(-(10**6), 10**6).map(str)


def _outcome(parse, value):
    try:
        return parse(value)
    except InvalidInput as exc:
        assert exc.problems and all(str(p.message) for p in exc.problems)
        return None


@settings(max_examples=200)
@given(hostile)
def test_any_text_is_a_month_or_invalid_input(value):
    month = _outcome(first_of_month, value)
    if month is not None:
        assert month.day == 1 and first_of_month(f"{month.year:04d}-{month.month:02d}") == month


@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_a_month_written_either_way_reads_back(day):
    first = day.replace(day=1)
    assert (
        first_of_month(f"{day.year:04d}-{day.month:02d}") == first == first_of_month(f"{day.year:04d}{day.month:02d}")
    )
    assert first_of_month(day) == first


@settings(max_examples=200)
@given(hostile)
def test_any_text_is_a_period_or_invalid_input(value):
    for parse in (lambda v: Period.parse(v, today=TODAY), lambda v: parse_period(v, today=TODAY)):
        period = _outcome(parse, value)
        if period is not None:
            assert period.start <= period.end
            assert Period.parse(period.code, today=TODAY) == period


@given(
    st.sampled_from(["month", "quarter", "year"]),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 1)),
)
def test_every_period_reads_back_from_its_code(kind, day):
    period = Period.of(kind, day)
    assert period.start <= day <= period.end
    assert Period.parse(period.code, today=TODAY) == period


@given(hostile | st.none() | st.integers())
def test_the_flow_matrix_size_is_a_number_in_range_or_invalid_input(value):
    top = _outcome(parse_top, value)
    assert top is None or isinstance(top, int)
