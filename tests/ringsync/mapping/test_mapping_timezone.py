"""The written time-zone rule for times, dates and date-times, case by case."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from ringsync.mapping.timezone import (
    datetime_to_salesforce,
    datetime_to_text,
    format_offset,
    local_date,
    parse_date,
    parse_datetime,
    parse_time,
    time_to_salesforce,
    time_to_text,
)


def tzh(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize(
    ("event", "text", "utc_time", "utc_instant", "day"),
    [
        (datetime(2026, 3, 1, 8, 33, 16, tzinfo=tzh(-7)), "08:33:16-07:00", "15:33:16.000Z",
         "2026-03-01T15:33:16.000Z", date(2026, 3, 1)),
        # the seed's "+07:00" variant gives 01:33:16Z, not 15:33:16Z: the seed's example is -07:00
        (datetime(2026, 3, 1, 8, 33, 16, tzinfo=tzh(7)), "08:33:16+07:00", "01:33:16.000Z",
         "2026-03-01T01:33:16.000Z", date(2026, 3, 1)),
        (datetime(2026, 3, 1, 23, 30, tzinfo=tzh(-7)), "23:30:00-07:00", "06:30:00.000Z",
         "2026-03-02T06:30:00.000Z", date(2026, 3, 1)),
        (datetime(2026, 3, 2, 0, 15, tzinfo=tzh(5.5)), "00:15:00+05:30", "18:45:00.000Z",
         "2026-03-01T18:45:00.000Z", date(2026, 3, 2)),
        (datetime(2026, 3, 1, 12, 0, 0, 987654, tzinfo=UTC), "12:00:00+00:00", "12:00:00.987Z",
         "2026-03-01T12:00:00.987Z", date(2026, 3, 1)),
    ],
)  # fmt: skip
def test_the_rule(event: datetime, text: str, utc_time: str, utc_instant: str, day: date) -> None:
    assert time_to_text(event) == text
    assert time_to_salesforce(event) == utc_time
    assert datetime_to_salesforce(event) == utc_instant
    assert local_date(event) == day


def test_date_times_as_text_keep_the_original_offset() -> None:
    event = datetime(2026, 3, 1, 8, 33, 16, 500, tzinfo=tzh(-7))
    assert datetime_to_text(event) == "2026-03-01T08:33:16-07:00"


@pytest.mark.parametrize(
    "call",
    [
        lambda: time_to_text(time(8, 0)),
        lambda: time_to_salesforce(datetime(2026, 1, 1)),
        lambda: datetime_to_salesforce(datetime(2026, 1, 1)),
        lambda: datetime_to_text(datetime(2026, 1, 1)),
        lambda: local_date(datetime(2026, 1, 1)),
    ],
)
def test_naive_values_are_refused_not_guessed(call: object) -> None:
    with pytest.raises(ValueError, match="no UTC offset; ringsync never guesses a time zone"):
        call()  # type: ignore[operator]


def test_plain_dates_pass_through() -> None:
    assert local_date(date(2026, 3, 1)) == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("offset", "text"),
    [(timedelta(0), "+00:00"), (timedelta(hours=-7), "-07:00"), (timedelta(minutes=345), "+05:45"),
     (timedelta(minutes=-30), "-00:30")],
)  # fmt: skip
def test_format_offset(offset: timedelta, text: str) -> None:
    assert format_offset(offset) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:33:16.000Z", time(15, 33, 16, tzinfo=UTC)),
        ("15:33:16Z", time(15, 33, 16, tzinfo=UTC)),
        ("15:33Z", time(15, 33, tzinfo=UTC)),
        ("08:33:16-07:00", time(8, 33, 16, tzinfo=tzh(-7))),
        ("08:33:16.5+0530", time(8, 33, 16, 500000, tzinfo=tzh(5.5))),
        (" 08:33:16+00:00 ", time(8, 33, 16, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("08:33:16", "not a time with an offset: '08:33:16'"),
        ("8:33:16Z", "not a time with an offset: '8:33:16Z'"),
        ("08:33:16+24:00", "offset out of range: +24:00"),
        ("25:00:00Z", "hour must be in 0..23"),
    ],
)
def test_parse_time_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        parse_time(text)


def test_parse_datetime_and_date() -> None:
    assert parse_datetime("2026-03-01T15:33:16.000+0000") == datetime(
        2026, 3, 1, 15, 33, 16, tzinfo=UTC
    )
    assert parse_datetime("2026-03-01T08:33:16-07:00").utcoffset() == timedelta(hours=-7)
    assert parse_date("2026-03-01") == date(2026, 3, 1)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("2026-3-1")
    with pytest.raises(ValueError, match="not a date-time with an offset"):
        parse_datetime("2026-03-01")
