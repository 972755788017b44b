"""Working days across the 2025 National Day and Mid-Autumn holiday (State Council notice of 2024-11-12):
1-8 October off, Sunday 28 September and Saturday 11 October worked in exchange."""

import datetime as dt

import pytest

from liuguan.core.workdays import add_working_days, is_working_day, working_days_between

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 9, 26), True),  # Friday
        (D(2025, 9, 27), False),  # Saturday
        (D(2025, 9, 28), True),  # Sunday, made up for the holiday
        (D(2025, 10, 1), False),
        (D(2025, 10, 8), False),  # the last day of the holiday, a Wednesday
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),  # Saturday, made up
        (D(2025, 10, 12), False),
    ],
)
def test_national_day_week(day, working):
    assert is_working_day(day) is working


def test_adding_working_days_skips_the_holiday_and_counts_make_up_days():
    assert add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert add_working_days(D(2025, 9, 26), 3) == D(2025, 9, 30)
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert add_working_days(D(2025, 10, 9), 2) == D(2025, 10, 11)
    assert add_working_days(D(2025, 10, 9), 0) == D(2025, 10, 9)


def test_working_days_between_counts_the_end_not_the_start():
    assert working_days_between(D(2025, 9, 26), D(2025, 10, 9)) == 4  # 28, 29, 30 September and 9 October
    assert working_days_between(D(2025, 10, 9), D(2025, 10, 9)) == 0
    with pytest.raises(ValueError):
        add_working_days(D(2025, 10, 9), -1)
