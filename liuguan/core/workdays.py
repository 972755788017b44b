"""Working days in China: weekends and public holidays off, make-up working days (调休) on.

The calendar is the State Council's yearly holiday arrangement as the `holidays` library carries it
(its China calendar marks substituted days off and treats the make-up Saturdays and Sundays as working
days). The arrangement for a year is published each November; a library release older than that year's
notice knows only the statutory holidays, so upgrade `holidays` in the lock file every December.
"""

import datetime as dt
from functools import lru_cache

import holidays

DAY = dt.timedelta(days=1)


@lru_cache(maxsize=32)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def is_working_day(day: dt.date) -> bool:
    """True on a weekday that is not a public holiday, and on a make-up working day that falls on a weekend."""
    return _calendar(day.year).is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted); 0 gives start."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left:
        day += DAY
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += DAY
        count += is_working_day(day)
    return count
