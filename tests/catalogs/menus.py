"""A realistic menu for the catalog tests."""

from dataclasses import dataclass
from datetime import time

from catalogs.models import Catalog, Item, ModifierGroup, Section
from tests.factories import (
    AvailabilityWindowFactory,
    CatalogFactory,
    ItemFactory,
    ItemModifierGroupFactory,
    ModifierGroupFactory,
    ModifierOptionFactory,
    SectionFactory,
    SectionItemFactory,
)


@dataclass
class Menu:
    lunch: Catalog
    late: Catalog
    mains: Section
    burgers: Section
    drinks: Section
    snacks: Section
    burger: Item
    fries: Item
    cola: Item
    size: ModifierGroup
    small: Item
    large: Item
    toppings: ModifierGroup
    cheese: Item
    bacon: Item
    bacon_style: ModifierGroup
    crispy: Item
    soft: Item


def build_menu(merchant) -> Menu:
    """Two catalogs, nested sections, an item in two sections, required and optional groups,
    and a nested modifier (Bacon -> Bacon style)."""
    lunch = CatalogFactory(merchant=merchant, name="Lunch & Dinner", position=0)
    for weekday in range(7):
        AvailabilityWindowFactory(catalog=lunch, weekday=weekday, start=time(11), end=time(22))
    late = CatalogFactory(merchant=merchant, name="Late Night", position=1)
    AvailabilityWindowFactory(catalog=late, weekday=4, start=time(22), end=time(2))

    mains = SectionFactory(catalog=lunch, name="Mains", position=0)
    burgers = SectionFactory(catalog=None, parent=mains, name="Burgers", position=0)
    drinks = SectionFactory(catalog=lunch, name="Drinks", position=1)
    snacks = SectionFactory(catalog=late, name="Snacks", position=0)

    burger = ItemFactory(merchant=merchant, name="Burger", price=1450)
    fries = ItemFactory(merchant=merchant, name="Fries", price=450)
    cola = ItemFactory(merchant=merchant, name="Cola", price=300)
    SectionItemFactory(section=burgers, item=burger, position=0)
    SectionItemFactory(section=mains, item=fries, position=0)
    SectionItemFactory(section=snacks, item=fries, position=0)
    SectionItemFactory(section=drinks, item=cola, position=0)

    size = ModifierGroupFactory(merchant=merchant, name="Size", min_selections=1, max_selections=1)
    small = ItemFactory(merchant=merchant, name="Small", price=0)
    large = ItemFactory(merchant=merchant, name="Large", price=150)
    ModifierOptionFactory(group=size, item=small, position=0)
    ModifierOptionFactory(group=size, item=large, position=1)

    toppings = ModifierGroupFactory(
        merchant=merchant, name="Toppings", min_selections=0, max_selections=2
    )
    cheese = ItemFactory(merchant=merchant, name="Cheese", price=100)
    bacon = ItemFactory(merchant=merchant, name="Bacon", price=200)
    ModifierOptionFactory(group=toppings, item=cheese, position=0)
    ModifierOptionFactory(group=toppings, item=bacon, position=1)

    bacon_style = ModifierGroupFactory(
        merchant=merchant, name="Bacon style", min_selections=1, max_selections=1
    )
    crispy = ItemFactory(merchant=merchant, name="Crispy", price=0)
    soft = ItemFactory(merchant=merchant, name="Soft", price=0)
    ModifierOptionFactory(group=bacon_style, item=crispy, position=0)
    ModifierOptionFactory(group=bacon_style, item=soft, position=1)

    ItemModifierGroupFactory(item=burger, group=toppings, position=0)
    ItemModifierGroupFactory(item=burger, group=size, position=1)
    ItemModifierGroupFactory(item=fries, group=size, position=0)
    ItemModifierGroupFactory(item=bacon, group=bacon_style, position=0)
    return Menu(
        lunch, late, mains, burgers, drinks, snacks, burger, fries, cola, size, small, large,
        toppings, cheese, bacon, bacon_style, crispy, soft,
    )  # fmt: skip


def pid(obj) -> str:
    """The id an entity has in the CatalogSet."""
    return str(obj.public_id)
