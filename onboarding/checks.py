"""Pre-flight checks before a store is registered with Gett: what Gett will need from it.

Each check reads the store as it is now and says, in a merchant's words, what is missing and
where to fix it. Required checks must pass before "Register with Gett" is offered; the others are
recommendations. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from catalogs.models import AvailabilityWindow, Catalog, CatalogVersion, PublishState
from portal.checks import public_url_problem
from stores.models import Store


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    fix_url: str = ""
    fix_label: str = ""
    required: bool = True
    # The fix is an action (a form posting to `fix_url`) rather than a page to open.
    fix_post: bool = False


def _edit_url(store: Store) -> str:
    return reverse("stores:edit", kwargs={"public_id": store.public_id})


def menu_check(store: Store) -> Check:
    name = "Menu"
    versions_url = reverse("publishing:versions", kwargs={"store_id": store.public_id})
    state = PublishState.objects.filter(store=store).only("is_valid", "last_problems").first()
    if state is not None and state.is_valid is False:
        count = len(state.last_problems)
        return Check(
            name,
            False,
            f"Your menu has {count} problem{'s' if count != 1 else ''} that stop it being "
            "published. Gett needs a menu it can accept.",
            versions_url,
            "See the menu problems",
        )
    if not Catalog.objects.sold_by(store).exists():
        return Check(
            name,
            False,
            "This store has no menu yet. Add a menu with at least one item.",
            reverse("menu:catalog-create"),
            "Add a menu",
        )
    if not CatalogVersion.objects.filter(store=store).exists():
        return Check(
            name,
            False,
            "The menu has not been published for this store yet: Gett fetches the published menu.",
            reverse("onboarding:publish", kwargs={"store_id": store.public_id}),
            "Publish the menu now",
            fix_post=True,
        )
    return Check(
        name, True, "The menu is published and has no problems.", versions_url, "Menu versions"
    )


def hours_check(store: Store) -> Check:
    name = "Opening hours"
    sold = Catalog.objects.sold_by(store)
    if AvailabilityWindow.objects.filter(catalog__in=sold).exists():
        return Check(name, True, "The menu has opening hours.")
    first = sold.order_by("position", "id").first()
    url = (
        reverse("menu:catalog-edit", kwargs={"public_id": first.public_id})
        if first
        else reverse("menu:overview")
    )
    return Check(
        name,
        False,
        "No opening hours: add the days and times the menu is on sale, or Gett shows the store "
        "as closed.",
        url,
        "Set opening hours",
    )


def fulfilment_check(store: Store) -> Check:
    name = "Delivery or pickup"
    if store.delivery_allowed or store.pickup_allowed:
        ways = [
            w
            for w, on in (("delivery", store.delivery_allowed), ("pickup", store.pickup_allowed))
            if on
        ]
        return Check(name, True, f"Takes orders for {' and '.join(ways)}.")
    return Check(
        name, False, "Turn on delivery, pickup or both.", _edit_url(store), "Edit store details"
    )


def address_check(store: Store) -> Check:
    name = "Address"
    missing = [
        label
        for field, label in Store.ADDRESS_FIELDS.items()
        if not (getattr(store, field) or "").strip()
    ]
    if not missing:
        return Check(name, True, ", ".join(store.address_lines))
    return Check(
        name,
        False,
        f"The address is missing the {', '.join(missing)}. Gett shows it to customers and "
        "sends couriers there.",
        _edit_url(store),
        "Complete the address",
    )


def phone_check(store: Store) -> Check:
    name = "Phone"
    if store.phone.strip():
        return Check(name, True, store.phone)
    return Check(
        name,
        False,
        "Add a phone number Gett and couriers can call about orders.",
        _edit_url(store),
        "Add a phone number",
    )


def logo_check(store: Store) -> Check:
    name = "Logo"
    if store.logo:
        return Check(name, True, "The store has a logo.", required=False)
    return Check(
        name,
        False,
        "Stores with a logo stand out in the Gett app.",
        _edit_url(store),
        "Upload a logo",
        required=False,
    )


def public_url_check() -> Check:
    name = "Portal address"
    url = settings.PUBLIC_BASE_URL
    problem = public_url_problem(url)
    if problem and url and (settings.DEBUG or settings.GETT_SANDBOX_ENABLED):
        # Local development, or a test portal whose Gett is the sandbox (never production Gett).
        return Check(name, True, f"{url} (fine for testing with the Gett sandbox).")
    if not problem:
        return Check(name, True, f"Gett reaches this portal at {url}.")
    return Check(
        name,
        False,
        f"The portal address {url or '(not set)'} {problem}. Gett fetches the menu and sends "
        "orders there. Ask whoever runs the portal to set PUBLIC_BASE_URL.",
    )


def store_checks(store: Store) -> list[Check]:
    """Every pre-flight check for `store`, in the order the wizard shows them."""
    return [
        menu_check(store),
        hours_check(store),
        fulfilment_check(store),
        address_check(store),
        phone_check(store),
        logo_check(store),
        public_url_check(),
    ]


def required_checks_pass(checks: list[Check]) -> bool:
    return all(check.ok for check in checks if check.required)
