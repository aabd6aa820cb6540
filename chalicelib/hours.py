"""The clinic's office hours: read from the `CLINIC_HOURS` setting, said in words, and checked against a time.

Pure functions over plain values, so the confirmation a visitor reads and
the clock that decides when staff are on duty share one definition.
`CLINIC_HOURS` is machine-readable: one or more spans separated by commas,
each a day or a day range and a time range on the 24-hour clock, in the
clinic's own time zone (`CLINIC_TIMEZONE`):

    Mon-Fri 08:00-18:00
    Mon-Thu 08:00-18:00, Fri 08:00-13:30, Sat 09:00-12:00

`CLINIC_HOLIDAYS` lists the days the clinic is closed all day (ISO dates,
comma-separated). The same hours drive the speed-to-lead clock:
`add_clinic_minutes` counts only the minutes the clinic is open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib.words import DEFAULT_LANGUAGE, text

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_CODES = (
    "hours.day.mon",
    "hours.day.tue",
    "hours.day.wed",
    "hours.day.thu",
    "hours.day.fri",
    "hours.day.sat",
    "hours.day.sun",
)
EXAMPLE = "Mon-Fri 08:00-18:00"

_SPAN = re.compile(
    r"^(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$",
    re.I,
)

# What a visitor calls the clinic's time zone (the words are in the catalogue);
# any other zone is named by its IANA name.
_ZONE_CODES = {
    "America/New_York": "hours.zone.eastern",
    "America/Detroit": "hours.zone.eastern",
    "America/Indiana/Indianapolis": "hours.zone.eastern",
    "America/Kentucky/Louisville": "hours.zone.eastern",
    "America/Chicago": "hours.zone.central",
    "America/Denver": "hours.zone.mountain",
    "America/Boise": "hours.zone.mountain",
    "America/Phoenix": "hours.zone.arizona",
    "America/Los_Angeles": "hours.zone.pacific",
    "America/Anchorage": "hours.zone.alaska",
    "Pacific/Honolulu": "hours.zone.hawaii",
    "America/Puerto_Rico": "hours.zone.atlantic",
}


class InvalidHours(ValueError):
    """A `CLINIC_HOURS` or `CLINIC_TIMEZONE` value that cannot be read."""


@dataclass(frozen=True)
class Span:
    """Open from `opens` to `closes` on each day from `first_day` to `last_day` (0 is Monday)."""

    first_day: int
    last_day: int
    opens: time
    closes: time

    def days(self) -> range:
        """The weekday numbers this span covers."""
        return range(self.first_day, self.last_day + 1)


@dataclass(frozen=True)
class OfficeHours:
    """When the intake team is available, in the clinic's time zone."""

    spans: tuple[Span, ...]
    timezone: str
    holidays: frozenset[date] = frozenset()

    def in_words(self, language: str = DEFAULT_LANGUAGE) -> str:
        """For example "Monday to Friday, 8 AM to 6 PM Eastern Time"."""
        parts = [
            text(
                language,
                "hours.span",
                days=_days_in_words(s, language),
                opens=_clock(s.opens, language),
                closes=_clock(s.closes, language),
            )
            for s in self.spans
        ]
        joined = parts[0]
        if len(parts) > 1:
            others = text(language, "hours.list.separator").join(parts[:-1])
            joined = text(language, "hours.list.last", others=others, last=parts[-1])
        return text(language, "hours.in_words", spans=joined, zone=zone_in_words(self.timezone, language))

    def sentence(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The sentence the confirmation carries, so a visitor knows when to expect the call."""
        return _sentence(self, language)

    def is_open(self, moment: datetime) -> bool:
        """True if `moment` (timezone-aware) falls within the office hours."""
        local = moment.astimezone(_zone(self.timezone))
        if local.date() in self.holidays:
            return False
        now = local.time().replace(tzinfo=None)
        return any(local.weekday() in s.days() and s.opens <= now < s.closes for s in self.spans)

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """When the clinic is open on a local calendar day, as (opens, closes) in UTC, in order, merged."""
        if day in self.holidays:
            return []
        zone = _zone(self.timezone)
        found = sorted(
            (
                datetime.combine(day, s.opens, zone).astimezone(UTC),
                datetime.combine(day, s.closes, zone).astimezone(UTC),
            )
            for s in self.spans
            if day.weekday() in s.days()
        )
        merged: list[tuple[datetime, datetime]] = []
        for opens, closes in found:
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        return merged


def previous_clinic_day_opening(hours: OfficeHours, moment: datetime) -> datetime:
    """When the clinic first opened (UTC) on its last open day before `moment`'s own day, in its time zone.

    Monday's answer is Friday's opening with hours Mon-Fri; holidays are
    skipped. A week with no open day before it (every span a holiday) gives
    `moment` less seven days.
    """
    day = moment.astimezone(_zone(hours.timezone)).date()
    for back in range(1, 8 + len(hours.holidays)):
        intervals = hours.open_intervals(day - timedelta(days=back))
        if intervals:
            return intervals[0][0]
    return moment.astimezone(UTC) - timedelta(days=7)


def add_clinic_minutes(hours: OfficeHours, start: datetime, minutes: float) -> datetime:
    """The instant (UTC) when `minutes` of open clinic time have passed since `start` (timezone-aware).

    The clock runs only while the clinic is open: a lead that arrives on
    Friday at 17:50, with hours Mon-Fri 08:00-18:00 and 30 minutes to go,
    is due on Monday at 08:20. Holidays count as closed all day.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    left = timedelta(minutes=minutes)
    at = start.astimezone(UTC)
    if left <= timedelta(0):
        return at
    day = start.astimezone(_zone(hours.timezone)).date()
    # Every week has open time (parse_hours needs a span); holidays only add whole days.
    for _ in range(_horizon(hours, left)):
        for opens, closes in hours.open_intervals(day):
            begin = max(opens, at)
            if begin >= closes:
                continue
            if left <= closes - begin:
                return begin + left
            left -= closes - begin
        day += timedelta(days=1)
    raise InvalidHours("the clinic hours leave no open time to count")


def _horizon(hours: OfficeHours, minutes: timedelta) -> int:
    """How many days add_clinic_minutes may look ahead: enough weeks for `minutes` of open time, and every holiday."""
    weekly = sum(
        (
            (datetime.combine(date.min, s.closes) - datetime.combine(date.min, s.opens)) * len(s.days())
            for s in hours.spans
        ),
        timedelta(0),
    )
    weeks = int(minutes / weekly) + 2 if weekly else 1
    return 7 * weeks + len(hours.holidays) + 1


@lru_cache(maxsize=16)
def _sentence(hours: OfficeHours, language: str) -> str:
    # Said in every answer, and the same until the settings change.
    return text(language, "hours.sentence", hours=hours.in_words(language))


def parse_hours(text: str, timezone: str = "America/New_York", holidays: frozenset[date] = frozenset()) -> OfficeHours:
    """Read `CLINIC_HOURS` (e.g. "Mon-Fri 08:00-18:00"), or raise InvalidHours saying what is wrong."""
    spans = []
    for raw in text.split(","):
        part = " ".join(raw.split())
        if not part:
            continue
        match = _SPAN.match(part)
        if match is None:
            raise InvalidHours(f"{part!r} is not a day range and times like {EXAMPLE!r}")
        first, last = _day(match["first"]), _day(match["last"] or match["first"])
        if last < first:
            raise InvalidHours(f"{part!r}: the days must run forward within one week, Mon to Sun")
        opens, closes = _time(match["opens"]), _time(match["closes"])
        if closes <= opens:
            raise InvalidHours(f"{part!r}: closing time must be after opening time")
        spans.append(Span(first, last, opens, closes))
    if not spans:
        raise InvalidHours(f"no hours given; write them like {EXAMPLE!r}")
    check_timezone(timezone)
    return OfficeHours(tuple(spans), timezone, holidays)


def parse_holidays(text: str) -> frozenset[date]:
    """Read `CLINIC_HOLIDAYS` ("2026-12-25, 2027-01-01"), or raise InvalidHours naming the bad entry."""
    days = set()
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        try:
            if len(part) != 10:
                raise ValueError(part)
            days.add(date.fromisoformat(part))
        except ValueError:
            raise InvalidHours(f"{part!r} is not a date written like '2026-12-25'") from None
    return frozenset(days)


def check_timezone(name: str) -> None:
    """Raise InvalidHours unless `name` is an IANA time zone such as America/New_York."""
    try:
        _zone(name)
    except (KeyError, ValueError, OSError) as exc:  # not found, malformed key, unreadable file
        raise InvalidHours(f"{name!r} is not an IANA time zone name such as 'America/New_York'") from exc


def zone_in_words(name: str, language: str = DEFAULT_LANGUAGE) -> str:
    """What a visitor calls the zone: "Eastern Time" for America/New_York."""
    code = _ZONE_CODES.get(name)
    return text(language, code) if code else text(language, "hours.zone.other", zone=name.replace("_", " "))


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo

    if not name or name.startswith("/") or ".." in name:
        raise ValueError(name)
    return ZoneInfo(name)


def _day(word: str) -> int:
    try:
        return DAYS.index(word.lower())
    except ValueError:
        raise InvalidHours(f"{word!r} is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun") from None


def _time(word: str) -> time:
    hours, minutes = (int(p) for p in word.split(":"))
    if hours > 23 or minutes > 59:
        raise InvalidHours(f"{word!r} is not a time on the 24-hour clock (00:00 to 23:59)")
    return time(hours, minutes)


def _days_in_words(span: Span, language: str) -> str:
    first = text(language, DAY_CODES[span.first_day])
    if span.first_day == span.last_day:
        return first
    return text(language, "hours.days.range", first=first, last=text(language, DAY_CODES[span.last_day]))


def _clock(moment: time, language: str) -> str:
    """The time as a visitor says it; the catalogue gets the 12-hour `hour`, `hour24` and 2-digit `minute`."""
    if moment == time(12, 0):
        return text(language, "hours.clock.noon")
    if moment.hour < 12:
        code = "hours.clock.am" if moment.minute == 0 else "hours.clock.am_minutes"
    else:
        code = "hours.clock.pm" if moment.minute == 0 else "hours.clock.pm_minutes"
    return text(language, code, hour=moment.hour % 12 or 12, hour24=moment.hour, minute=f"{moment.minute:02d}")
