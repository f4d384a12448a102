"""Working days in Denmark, as used for nudges (2 working days) and stalls (5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.workdays import PUBLIC

CPH = "Europe/Copenhagen"
ZONE = ZoneInfo(CPH)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZONE)


def test_a_weekend_is_not_counted():
    friday = local(2026, 11, 20, 10, 0)
    assert PUBLIC.add_working_days(friday, 2, CPH) == local(2026, 11, 24, 10, 0)  # Tuesday


def test_within_a_week():
    monday = local(2026, 11, 16, 9, 15)
    assert PUBLIC.add_working_days(monday, 2, CPH) == local(2026, 11, 18, 9, 15)


def test_easter_holidays_2027_are_not_counted():
    for day in (date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 29)):
        assert not PUBLIC.is_working_day(day), day
    assert PUBLIC.is_working_day(date(2027, 3, 24)) and PUBLIC.is_working_day(date(2027, 3, 30))
    wednesday = local(2027, 3, 24, 10, 0)
    # Thu, Fri: holidays; Sat, Sun; Mon: Easter Monday. The next working day is Tuesday,
    # and summer time began on Sunday 28 March: still 10:00 on the wall clock.
    result = PUBLIC.add_working_days(wednesday, 1, CPH)
    assert result == local(2027, 3, 30, 10, 0)
    assert result.utcoffset() == timedelta(hours=2)


def test_christmas_is_not_counted():
    thursday = local(2026, 12, 24, 14, 0)
    # Fri 25 and Sat 26 December are holidays, then a Sunday.
    assert PUBLIC.add_working_days(thursday, 1, CPH) == local(2026, 12, 28, 14, 0)
    assert PUBLIC.add_working_days(thursday, 5, CPH) == local(2027, 1, 4, 14, 0)  # 1 January too


def test_the_local_time_is_kept_across_the_end_of_summer_time():
    thursday_utc = datetime(2026, 10, 22, 8, 0, tzinfo=UTC)  # 10:00 CEST
    result = PUBLIC.add_working_days(thursday_utc, 2, CPH)
    # Summer time ended on Sunday 25 October: Monday 10:00 is 09:00 UTC, not 08:00.
    assert result == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    assert result.astimezone(ZONE).hour == 10


def test_the_local_date_counts_not_the_utc_date():
    # Friday 23:30 UTC is already Saturday 00:30 in Copenhagen; Saturday + 1 → Monday.
    late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert PUBLIC.add_working_days(late, 1, CPH) == local(2026, 11, 23, 0, 30)


def test_holidays_are_named_in_the_persons_language():

    assert PUBLIC.holiday_name(date(2027, 5, 17), "da") == "Anden pinsedag"
    assert PUBLIC.holiday_name(date(2027, 5, 17), "en") == "Pentecost Monday"
    assert PUBLIC.holiday_name(date(2027, 5, 18), "da") is None


def test_the_optional_days_off_a_workplace_keeps_free():
    from bot.core.workdays import workdays

    kept = workdays("juleaften,nytaarsaften,grundlovsdag")
    christmas_eve, new_years_eve, constitution = date(2027, 12, 24), date(2027, 12, 31), date(2027, 6, 5)
    assert PUBLIC.is_working_day(christmas_eve) and not kept.is_working_day(christmas_eve)
    # The working day before Monday 27 December: Friday 24th, or Thursday 23rd where it is kept free.
    assert PUBLIC.previous_working_day(date(2027, 12, 27)) == christmas_eve
    assert kept.previous_working_day(date(2027, 12, 27)) == date(2027, 12, 23)
    assert (
        kept.holiday_name(christmas_eve, "da") == "Juleaftensdag" and PUBLIC.holiday_name(christmas_eve, "da") is None
    )
    assert kept.holiday_name(new_years_eve, "en") == "New Year's Eve" and kept.is_holiday(constitution)
    assert PUBLIC.holiday_name(date(2027, 12, 25), "da") == "Juledag"  # public holidays either way
    assert not workdays("1maj").is_working_day(date(2028, 5, 1)) and PUBLIC.is_working_day(date(2028, 5, 1))
