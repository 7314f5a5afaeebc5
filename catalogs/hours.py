"""Opening hours as stretches of the week.

An AvailabilityWindow is (weekday, start, end) in the store's local time: `end` 00:00 is the end
of the day, and a window whose start is after its end runs past midnight into the next day.
Every rule about hours — windows must not overlap, is the store open now, when does it next
open — reads windows through `window_stretches`, so they all agree on what a window means.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from catalogs.models import MIDNIGHT

DAY = 24 * 3600
WEEK = 7 * DAY

Window = tuple[int, time, time]


def week_seconds(weekday: int, at: time) -> int:
    """Seconds since Monday 00:00 (whole seconds: a window edge has none smaller)."""
    return weekday * DAY + at.hour * 3600 + at.minute * 60 + at.second


def window_stretches(weekday: int, start: time, end: time) -> list[tuple[int, int]]:
    """[begin, finish) in seconds since Monday 00:00: one stretch, or two when a Sunday window
    runs past midnight into Monday."""
    begin = week_seconds(weekday, start)
    if end == MIDNIGHT:
        finish = (weekday + 1) * DAY
    elif start < end:
        finish = week_seconds(weekday, end)
    else:
        finish = week_seconds(weekday + 1, end)
    if finish > WEEK:
        return [(begin, WEEK), (0, finish - WEEK)]
    return [(begin, finish)]


def window_open(windows: Iterable[Window], local: datetime) -> bool:
    """Whether weekly windows contain `local` (the store's own time)."""
    now = week_seconds(local.weekday(), local.time())
    return any(
        begin <= now < finish for window in windows for begin, finish in window_stretches(*window)
    )


def weekly_openings(windows: Iterable[Window]) -> list[tuple[int, time]]:
    """(weekday, time) at which the store goes from closed to open, over a week: windows are
    merged first, so one that starts while another is open is not an opening. [] when there
    are no hours or the store never closes."""
    merged: list[list[int]] = []
    stretches = sorted(s for window in windows for s in window_stretches(*window))
    for begin, finish in stretches:
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], finish)
        else:
            merged.append([begin, finish])
    if not merged or merged == [[0, WEEK]]:
        return []
    starts = [begin for begin, _ in merged]
    if len(merged) > 1 and merged[0][0] == 0 and merged[-1][1] == WEEK:
        starts = starts[1:]  # Monday 00:00 continues Sunday night
    return [
        (begin // DAY, time(begin % DAY // 3600, begin % 3600 // 60, begin % 60))
        for begin in starts
    ]
