from datetime import datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from catalogs.hours import WEEK, weekly_openings, window_open, window_stretches
from catalogs.models import MIDNIGHT

MONDAY = datetime(2026, 11, 30)  # a Monday, naive: the store's own time


def test_a_sunday_window_past_midnight_is_two_stretches():
    assert window_stretches(6, time(22), time(2)) == [(WEEK - 2 * 3600, WEEK), (0, 2 * 3600)]
    assert window_stretches(0, time(10), MIDNIGHT) == [(10 * 3600, 24 * 3600)]


def test_openings_skip_a_window_that_starts_while_another_is_open():
    lunch_then_afternoon = [(0, time(11), time(15)), (0, time(15), time(18))]
    assert weekly_openings(lunch_then_afternoon) == [(0, time(11))]
    assert weekly_openings([(d, time(0), MIDNIGHT) for d in range(7)]) == []  # never closes
    assert weekly_openings([]) == []


minutes = st.integers(min_value=0, max_value=24 * 60 - 1).map(lambda m: time(m // 60, m % 60))
windows = st.lists(
    st.tuples(st.integers(min_value=0, max_value=6), minutes, minutes).filter(
        lambda w: w[1] != w[2] or w[2] == MIDNIGHT
    ),
    max_size=6,
)


@given(windows=windows, at=st.integers(min_value=0, max_value=WEEK - 1))
def test_every_opening_is_a_closed_to_open_moment(windows, at):
    """The three readings agree: a moment is open when a stretch holds it, and each opening is
    a moment open now and closed one second before."""
    local = MONDAY + timedelta(seconds=at)
    inside = any(b <= at < f for w in windows for b, f in window_stretches(*w))
    assert window_open(windows, local) is inside
    for weekday, opening in weekly_openings(windows):
        moment = datetime.combine(MONDAY.date() + timedelta(days=weekday), opening)
        assert window_open(windows, moment)
        assert not window_open(windows, moment - timedelta(seconds=1))
