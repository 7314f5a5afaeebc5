from datetime import UTC, datetime, time

import pytest

from catalogs.hours import window_open
from catalogs.selectors import menu_rows_get
from orders.pricing import tax_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("subtotal", "rate_bp", "tax"),
    [
        (1000, 2000, 200),  # 10.00 at 20 % = 2.00
        (1, 2000, 0),  # 0.002 rounds down
        (3, 2000, 1),  # 0.006 rounds up
        (25, 2000, 5),  # exactly 0.05
        (125, 1000, 13),  # 0.125: half up, not to even
        (105, 5000, 53),  # 0.525: half up
        (999, 875, 87),  # 8.75 % of 9.99 = 0.874125
        (0, 2000, 0),
        (999_999_999_999, 10_000, 999_999_999_999),  # no float anywhere
    ],
)
def test_tax_is_rounded_half_up_once_per_order(subtotal, rate_bp, tax):
    assert tax_for(subtotal, rate_bp) == tax


# Monday 2026-11-23 is a Monday.
@pytest.mark.parametrize(
    ("windows", "local", "is_open"),
    [
        ([(0, time(11), time(22))], datetime(2026, 11, 23, 11, 0), True),
        ([(0, time(11), time(22))], datetime(2026, 11, 23, 22, 0), False),  # end excluded
        ([(0, time(11), time(22))], datetime(2026, 11, 24, 12, 0), False),  # Tuesday
        ([(0, time(0), time(0))], datetime(2026, 11, 23, 23, 59), True),  # 00:00-00:00 all day
        ([(0, time(18), time(0))], datetime(2026, 11, 23, 23, 30), True),  # end 00:00 = day end
        ([(4, time(22), time(2))], datetime(2026, 11, 27, 23, 0), True),  # Friday night
        ([(4, time(22), time(2))], datetime(2026, 11, 28, 1, 59), True),  # into Saturday
        ([(4, time(22), time(2))], datetime(2026, 11, 28, 2, 0), False),
        ([(6, time(22), time(2))], datetime(2026, 11, 23, 1, 0), True),  # Sunday into Monday
        ([], datetime(2026, 11, 23, 12, 0), False),  # no hours: never open (fail closed)
    ],
)
def test_opening_hours_follow_gett_rules(windows, local, is_open):
    assert window_open(windows, local) is is_open


def test_the_read_model_reads_a_menu_in_a_fixed_number_of_queries(
    shop, menu, django_assert_num_queries
):
    with django_assert_num_queries(9):
        rows = menu_rows_get(merchant_id=shop.merchant_id, store=shop, now=datetime.now(UTC))

    burger = rows.item_pk(str(menu.burger.public_id))
    assert rows.item_name(burger) == "Burger" and rows.item_price(burger) == 1450
    assert [rows.group_name(g) for g in rows.item_groups[burger]] == ["Toppings", "Size"]
    open_now = rows.catalogs_open_at(datetime(2026, 11, 25, 12, 0))  # a Wednesday lunchtime
    assert open_now == [menu.lunch.pk]
    assert menu.cola.pk in rows.items_reachable(open_now)
    assert menu.small.pk not in rows.items_reachable(open_now)  # an option, not on its own
