"""Load the demo merchant, its stores and its logins. Safe to run again and again.

The demo stores go on Gett the way a merchant's would: their menus are published, then an
onboarding with "go live as soon as Gett is ready" is started for each (with the sandbox on), and
the worker registers, polls and activates them within the sandbox's timings once `make run` has
started it. One more store is left off Gett, for trying the "Put this store on Gett" wizard.
"""

import uuid
from datetime import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalogs import services as menu
from catalogs.models import Catalog, Trigger
from catalogs.publishing.services import catalog_publish
from onboarding.services import onboarding_current, onboarding_start
from stores.models import Membership, Merchant, Store

DEMO_NAMESPACE = uuid.UUID("6f1d9c2e-0b7a-4c55-9d43-5b0e3c7a9f10")

LOGINS = [
    # username, password, role (None: partner staff superuser for the admin)
    ("owner", "demo-owner-2026", Membership.Role.OWNER),
    ("staff", "demo-staff-2026", Membership.Role.STAFF),
    ("admin", "demo-admin-2026", None),
]

STORES = [
    {
        "name": "Bella Napoli — Soho",
        "phone": "+44 20 7946 0123",
        "description": "Wood-fired Neapolitan pizza in the heart of Soho.",
        "street": "12 Greek Street",
        "city": "London",
        "postal_code": "W1D 4DH",
        "country": "GB",
        "timezone": "Europe/London",
        "currency": "GBP",
        "tax_rate_bp": 2000,
        "delivery_fee": 299,
        "minimum_order": 1200,
        "default_prep_minutes": 20,
    },
    {
        "name": "Bella Napoli — Brooklyn",
        "phone": "+1 718 555 0142",
        "description": "Our Brooklyn slice shop: pies, calzones and espresso.",
        "street": "245 Bedford Avenue",
        "city": "Brooklyn",
        "state": "NY",
        "postal_code": "11211",
        "country": "US",
        "timezone": "America/New_York",
        "currency": "USD",
        "tax_rate_bp": 888,
        "delivery_fee": 399,
        "minimum_order": 1500,
        "default_prep_minutes": 15,
        "pickup_allowed": True,
        "delivery_allowed": True,
    },
    {
        "name": "Bella Napoli — Shoreditch",
        "phone": "+44 20 7946 0456",
        "description": "Opening soon: not on Gett yet, so you can try putting it there.",
        "street": "101 Curtain Road",
        "city": "London",
        "postal_code": "EC2A 3AE",
        "country": "GB",
        "timezone": "Europe/London",
        "currency": "GBP",
        "tax_rate_bp": 2000,
        "delivery_fee": 249,
        "minimum_order": 1000,
        "default_prep_minutes": 20,
        "go_live": False,
    },
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo merchant, stores and logins."

    def handle(self, *args, **options):
        # The demo logins have published passwords, one of them a superuser's.
        if not settings.DEBUG:
            raise CommandError(
                "demo_data only runs with DEBUG on: its logins have published passwords "
                "(one is a superuser). Refusing to touch this database."
            )
        self._load()

    @transaction.atomic
    def _load(self):
        merchant, _ = Merchant.objects.get_or_create(
            public_id=uuid.uuid5(DEMO_NAMESPACE, "merchant"),
            defaults={"name": "Bella Napoli"},
        )
        User = get_user_model()
        for username, password, role in LOGINS:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@bella-napoli.example"}
            )
            user.set_password(password)  # always, so the printed login works
            user.is_staff = user.is_superuser = role is None
            user.save()
            if role is not None:
                Membership.objects.update_or_create(
                    user=user, merchant=merchant, defaults={"role": role}
                )

        go_live = []
        for spec in STORES:
            fields = {key: value for key, value in spec.items() if key != "go_live"}
            store, created = Store.objects.get_or_create(
                public_id=uuid.uuid5(DEMO_NAMESPACE, spec["name"]),
                defaults={**fields, "merchant": merchant},
            )
            if spec.get("go_live", True):
                go_live.append(store)
            self.stdout.write(f"  store {'created' if created else 'ok'}: {store.name}")

        if not Catalog.objects.filter(merchant=merchant).exists():
            self._create_menu(merchant)
            self.stdout.write("  menu created")
        for store in Store.objects.filter(merchant=merchant):
            # Published now; Gett (the sandbox) is told as soon as the worker runs.
            version = catalog_publish(store_id=store.pk, trigger=Trigger.IMPORT)
            state = "published" if version else "unchanged"
            self.stdout.write(f"  menu {state}: {store.name}")

        owner = Membership.objects.get(merchant=merchant, role=Membership.Role.OWNER).user
        for store in go_live if settings.GETT_SANDBOX_ENABLED else []:
            store.refresh_from_db()
            if store.is_connected or onboarding_current(store=store) is not None:
                self.stdout.write(f"  on Gett (or on its way): {store.name}")
                continue
            # Registered by the worker once `make run` starts it; live within seconds.
            onboarding_start(store=store, user=owner, auto_activate=True)
            self.stdout.write(f"  onboarding started: {store.name}")

        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins:"))
        for username, password, role in LOGINS:
            who = role.label if role else "partner staff (admin)"
            self.stdout.write(f"  {username:6} / {password:16} {who}")

    def _create_menu(self, merchant: Merchant) -> None:
        """An all-day menu with required and optional modifiers, one of them nested."""

        def item(name: str, price: int, description: str = ""):
            return menu.item_create(
                merchant=merchant,
                name=name,
                price=price,
                description=description,
                trigger=Trigger.IMPORT,
            )

        def group(name: str, minimum: int, maximum: int, options: list):
            created = menu.group_create(
                merchant=merchant,
                name=name,
                min_selections=minimum,
                max_selections=maximum,
                trigger=Trigger.IMPORT,
            )
            menu.group_options_set(group=created, items=options, trigger=Trigger.IMPORT)
            return created

        all_day = menu.catalog_create(
            merchant=merchant,
            name="All day",
            description="Pizza, sides and drinks",
            trigger=Trigger.IMPORT,
        )
        menu.catalog_windows_set(
            catalog=all_day,
            windows=[(day, time(11), time(23)) for day in range(7)],
            trigger=Trigger.IMPORT,
        )
        late = menu.catalog_create(
            merchant=merchant,
            name="Late night",
            description="Slices after hours",
            trigger=Trigger.IMPORT,
        )
        # Friday and Saturday 23:00-02:00: crosses midnight, split for Gett automatically.
        menu.catalog_windows_set(
            catalog=late,
            windows=[(4, time(23), time(2)), (5, time(23), time(2))],
            trigger=Trigger.IMPORT,
        )

        size = group("Size", 1, 1, [item('Regular 10"', 0), item('Large 14"', 350)])
        toppings = group(
            "Extra toppings",
            0,
            3,
            [
                item("Mushrooms", 120),
                item("Olives", 120),
                item("Spicy salami", 180),
                item("Extra mozzarella", 150),
            ],
        )
        dip = group("Dip", 0, 1, [item("Garlic mayo", 80), item("Chilli oil", 60)])
        side_choice = group(
            "Choose a side", 1, 1, [item("Garlic bread", 0), item("Green salad", 0)]
        )
        # Garlic bread (an option) has its own group: modifiers nest.
        menu.item_groups_set(
            item=side_choice.group_options.first().item, groups=[dip], trigger=Trigger.IMPORT
        )

        pizzas = menu.section_create(
            merchant=merchant, name="Pizzas", catalog=all_day, trigger=Trigger.IMPORT
        )
        sides = menu.section_create(
            merchant=merchant, name="Sides", catalog=all_day, trigger=Trigger.IMPORT
        )
        drinks = menu.section_create(
            merchant=merchant, name="Drinks", catalog=all_day, trigger=Trigger.IMPORT
        )
        slices = menu.section_create(
            merchant=merchant, name="Slices", catalog=late, trigger=Trigger.IMPORT
        )

        margherita = item("Margherita", 950, "San Marzano tomato, fior di latte, basil")
        diavola = item("Diavola", 1150, "Tomato, mozzarella, spicy salami, chilli")
        funghi = item("Funghi", 1050, "Mozzarella, mushrooms, thyme")
        meal = item("Pizza & side deal", 1350, "Any Margherita with a side")
        for pizza in (margherita, diavola, funghi):
            menu.item_groups_set(item=pizza, groups=[size, toppings], trigger=Trigger.IMPORT)
        menu.item_groups_set(item=meal, groups=[size, side_choice], trigger=Trigger.IMPORT)
        menu.section_items_set(
            section=pizzas, items=[margherita, diavola, funghi, meal], trigger=Trigger.IMPORT
        )
        fries = item("Rosemary fries", 450)
        menu.item_groups_set(item=fries, groups=[dip], trigger=Trigger.IMPORT)
        menu.section_items_set(
            section=sides, items=[fries, item("Arancini (3)", 650)], trigger=Trigger.IMPORT
        )
        menu.section_items_set(
            section=drinks,
            items=[item("San Pellegrino", 250), item("Espresso", 200), item("Lemonade", 350)],
            trigger=Trigger.IMPORT,
        )
        menu.section_items_set(
            section=slices,
            items=[item("Margherita slice", 400), margherita],
            trigger=Trigger.IMPORT,
        )
