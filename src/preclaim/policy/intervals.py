"""Maintenance intervals: the first day the next injection is due, and how a finding says which interval.

"Once monthly" is counted in calendar months, not as 28 or 30 days: `same-day` means not before the same day
of the next month (the last day of that month when it is shorter), `calendar-month` means at most one
injection per calendar month.
"""

from __future__ import annotations

import calendar
import datetime as dt

from preclaim.policy.schema import Frequency, Interval

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the last day of that month when it is shorter (Jan 31 + 1 = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if day.day <= 28:  # every month has it (and calendar.monthrange, which also works out a weekday, is slow)
        return dt.date(year, month, day.day)
    last = 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month - 1]
    return dt.date(year, month, min(day.day, last))


def longest_gap(interval: Interval) -> int:
    """Days after which the next injection is due whatever the months in between (a month has at most 31)."""
    return interval.days if interval.days is not None else 31 * (interval.months or 1)


def next_allowed(last: dt.date, interval: Interval) -> dt.date:
    """The first day a maintenance injection may follow one given on `last`."""
    if interval.days is not None:
        return last + dt.timedelta(days=interval.days)
    months = interval.months or 1
    if interval.month_rule == "calendar-month":
        return add_months(last.replace(day=1), months)
    return add_months(last, months)


def describe(interval: Interval) -> str:
    """How the policy's interval reads in a finding."""
    if interval.days is not None:
        return f"no more often than every {interval.days} days"
    months = interval.months or 1
    every = "once a month" if months == 1 else f"once every {months} months"
    if interval.month_rule == "calendar-month":
        per = "one per calendar month" if months == 1 else f"one per {months} calendar months"
        return f"{every} ({per}, on any day of the month)"
    later = "the next month" if months == 1 else f"the month {months} months later"
    return f"{every} (counted in calendar months: not before the same day of {later})"


def maintenance_text(frequency: Frequency) -> str:
    """The frequency section's maintenance rule in one phrase (printed checklists, the policy page)."""
    interval = frequency.interval
    if interval is None:
        return "no maintenance interval"
    if frequency.hard_limit_source is not None:
        return f"{describe(interval)}; a sooner dose denies ({frequency.denial_carc})"
    return f"{describe(interval)}; a sooner dose is a medical-review risk ({frequency.denial_carc} if not justified)"
