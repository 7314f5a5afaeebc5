"""Load the demo merchant, its two stores and its logins. Safe to run again and again."""

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from stores.models import Membership, Merchant, Store

SAMPLE_CATALOGSET = Path(__file__).resolve().parent / "sample_catalogset.json"
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
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo merchant, stores and logins."

    @transaction.atomic
    def handle(self, *args, **options):
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

        for spec in STORES:
            public_id = uuid.uuid5(DEMO_NAMESPACE, spec["name"])
            store, created = Store.objects.get_or_create(
                public_id=public_id,
                defaults={
                    **spec,
                    "merchant": merchant,
                    # As if onboarding had already connected it to Gett.
                    "gett_store_id": uuid.uuid5(DEMO_NAMESPACE, f"gett:{spec['name']}"),
                },
            )
            if settings.GETT_SANDBOX_ENABLED:
                self._provision_in_sandbox(store)
            self.stdout.write(f"  store {'created' if created else 'ok'}: {store.name}")

        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins:"))
        for username, password, role in LOGINS:
            who = role.label if role else "partner staff (admin)"
            self.stdout.write(f"  {username:6} / {password:16} {who}")

    def _provision_in_sandbox(self, store: Store) -> None:
        # The sandbox is a separate system; seeding it here stands in for an onboarding that
        # happened before. It never reads our tables.
        from gett.sandbox.services import accepted_catalogset, catalogset_seed, store_provision

        store_provision(
            webhook_url=f"{settings.PUBLIC_BASE_URL}/webhooks/gett",
            store_id=store.gett_store_id,
            partner_store_id=store.partner_store_id,
            name=store.name,
            phone=store.phone,
            description=store.description,
            address={
                "street": store.street,
                "city": store.city,
                "state": store.state,
                "postalCode": store.postal_code,
                "country": store.country,
            },
            timezone=store.timezone,
            delivery_allowed=store.delivery_allowed,
            pickup_allowed=store.pickup_allowed,
        )
        if accepted_catalogset(store.partner_store_id) is None:
            # A sample menu Gett has "already ingested", so test orders work from the start;
            # the store's own menu replaces it as soon as it is published.
            document = json.loads(SAMPLE_CATALOGSET.read_text())
            document["storeId"] = store.partner_store_id
            catalogset_seed(partner_store_id=store.partner_store_id, document=document)
