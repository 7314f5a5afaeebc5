"""Merchant REST API for menus: read the menu, change a price, list and snooze sold-out items.

It follows the conventions of the whole merchant API (`stores.api`): snake_case names, errors as
problem+json (`portal.api_errors`, one `errors[]` entry per field with its `jsonPath`, e.g.
`$.price`), lookups and roles through `stores.access` (another merchant's menu, item or store is
a 404; reading is for every role, snoozing for every role, prices for owners and managers).

Money: every amount is an object, as in the stores API (`MoneySerializer`)::

    "price": {"amount": "12.50", "amount_minor": 1250, "currency": "GBP"}

`amount` is a decimal string in major units, `amount_minor` the stored integer. A menu is shared
by the merchant's stores and each store reads a price in its own currency, so `currency` is the
stores' currency. When the stores use different currencies there is no single one: `currency` is
then null (on the menu and on each amount), the amount is read in each store's own currency
(14.50 is 14.50 GBP in a GBP store and 14.50 EUR in a EUR store), and the menu's
`store_currencies` says which store uses which. Prices are written as a decimal string
(`{"price": "12.50"}`) and parsed by `portal.money` like every other door: no exponents, at most
the currency's decimal places, at most `portal.money.MAX_PRICE_MINOR`.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogs import services
from catalogs.models import AvailabilityWindow, Item, ItemSnooze, Trigger
from catalogs.selectors import MenuRows, menu_rows_get
from catalogs.snoozes import services as snoozes_services
from portal.money import MenuMoney, menu_money, money_data, price_parse
from stores import access
from stores.access import Action
from stores.api import MoneySerializer
from stores.models import Merchant, Store

SNOOZE_PRESETS = ("next_opening", "manual")


# --- output ------------------------------------------------------------------------------------


class MerchantOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()


class WindowOutputSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 = Monday … 6 = Sunday.")
    day = serializers.CharField(help_text="The weekday's English name.")
    start = serializers.TimeField(help_text="Store local time.")
    end = serializers.TimeField(help_text="Store local time; 00:00:00 means the end of the day.")


class SectionOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    items = serializers.ListField(
        child=serializers.UUIDField(), help_text="Public ids of the section's items, in order."
    )
    sections = serializers.SerializerMethodField(help_text="Sub-sections, in order.")

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/SectionOutput"}})
    def get_sections(self, section: dict) -> list[dict]:
        data = SectionOutputSerializer(section["sections"], many=True, context=self.context).data
        return cast(list[dict], data)  # many=True: a ReturnList (the stubs say ReturnDict)


class CatalogOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    windows = WindowOutputSerializer(many=True, help_text="When the catalog is on sale.")
    sections = SectionOutputSerializer(many=True, help_text="Top-level sections, in order.")


class SnoozeOutputSerializer(serializers.Serializer):
    store = serializers.UUIDField(help_text="The store's partner store id.")
    item = serializers.UUIDField()
    until = serializers.DateTimeField(
        allow_null=True, help_text="When the item is back on sale; null: when turned back on."
    )
    created_at = serializers.DateTimeField()


class ItemOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    price = MoneySerializer(
        help_text="`currency` is null when the stores use different currencies (module docs)."
    )
    image_url = serializers.CharField(allow_null=True)
    sections = serializers.ListField(
        child=serializers.UUIDField(), help_text="Public ids of the sections it is in."
    )
    modifier_groups = serializers.ListField(
        child=serializers.UUIDField(), help_text="Public ids of its modifier groups, in order."
    )
    snoozes = SnoozeOutputSerializer(many=True, help_text="Stores where it is off sale now.")
    updated_at = serializers.DateTimeField()


class ModifierGroupOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    min_selections = serializers.IntegerField()
    max_selections = serializers.IntegerField()
    options = serializers.ListField(
        child=serializers.UUIDField(), help_text="Public ids of the option items, in order."
    )


class StoreCurrencyOutputSerializer(serializers.Serializer):
    partner_store_id = serializers.UUIDField()
    currency = serializers.CharField(help_text="ISO 4217: the currency this store reads prices in.")


class MenuOutputSerializer(serializers.Serializer):
    merchant = MerchantOutputSerializer()
    currency = serializers.CharField(
        allow_null=True,
        help_text=(
            "ISO 4217: the currency of the merchant's stores; null when they use different "
            "currencies (a price is then read in each store's own currency)."
        ),
    )
    store_currencies = StoreCurrencyOutputSerializer(
        many=True, help_text="Each store of the merchant and the currency it reads prices in."
    )
    catalogs = CatalogOutputSerializer(many=True)
    items = ItemOutputSerializer(many=True, help_text="Every item, modifier options included.")
    modifier_groups = ModifierGroupOutputSerializer(many=True)


# --- input -------------------------------------------------------------------------------------


class PriceInputSerializer(serializers.Serializer):
    price = serializers.CharField(
        help_text=(
            'Major units as a decimal string, e.g. "12.50" (not negative, no exponent, at most '
            "the currency's decimal places)."
        ),
    )


class SnoozeInputSerializer(serializers.Serializer):
    item = serializers.UUIDField(help_text="Public id of an item on the store's menu.")
    until = serializers.CharField(
        help_text=(
            '"next_opening" (when the store next opens), "manual" (until turned back on) or an '
            "ISO 8601 date-time in the future, at most 30 days ahead; without an offset it is "
            "read in the store's time zone."
        )
    )


# --- lookups -----------------------------------------------------------------------------------


def get_item_for_api(request, public_id) -> Item:
    """Every item lookup goes through here: another merchant's item is a 404."""
    items = Item.objects.filter(merchant__in=access.merchants_for(request)).select_related(
        "merchant"
    )
    return get_object_or_404(items, public_id=public_id)


def _merchant_for_menu(request) -> Merchant:
    """`?merchant=<public_id>`, or the user's first merchant by name (as the portal's default)."""
    merchants = access.merchants_for(request).order_by("name", "pk")
    wanted = request.query_params.get("merchant")
    if wanted is not None:
        field = serializers.UUIDField()
        try:
            wanted = field.to_internal_value(wanted)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"merchant": exc.detail}) from None
        merchants = merchants.filter(public_id=wanted)
    merchant = merchants.first()
    if merchant is None:
        raise NotFound("No such merchant among yours." if wanted else "You have no merchant.")
    return merchant


# --- reading the menu (`menu_rows_get`: a fixed number of queries, whatever its size) -------------


def _menu_data(*, merchant: Merchant, request) -> dict:
    money = menu_money(merchant)
    rows = menu_rows_get(merchant_id=merchant.pk)
    item_ids = {pk: row[MenuRows.ITEM_PUBLIC_ID] for pk, row in rows.items.items()}
    sections = {
        pk: {
            "public_id": row["public_id"],
            "name": row["name"],
            "description": row["description"],
            "items": [item_ids[i] for i in rows.section_items.get(pk, ()) if i in item_ids],
            "sections": [],
        }
        for pk, row in rows.sections.items()
    }
    for pk, section in sections.items():
        section["sections"] = [
            sections[c] for c in rows.child_sections.get(pk, ()) if c in sections
        ]
    catalogs = [
        {
            "public_id": catalog["public_id"],
            "name": catalog["name"],
            "description": catalog["description"],
            "windows": [
                {
                    "weekday": weekday,
                    "day": AvailabilityWindow.Weekday(weekday).label,
                    "start": start,
                    "end": end,
                }
                for weekday, start, end in sorted(rows.windows.get(catalog["id"], ()))
            ],
            "sections": [sections[pk] for pk in rows.root_sections.get(catalog["id"], ())],
        }
        for catalog in rows.catalogs
    ]
    groups = [
        {
            "public_id": public_id,
            "name": name,
            "min_selections": minimum,
            "max_selections": maximum,
            "options": [item_ids[i] for i in rows.options.get(pk, ()) if i in item_ids],
        }
        for pk, (public_id, name, minimum, maximum) in rows.groups.items()
    ]
    stores = Store.objects.filter(merchant=merchant).order_by("name", "pk")
    return {
        "merchant": merchant,
        "currency": money.currency,
        "store_currencies": [
            {"partner_store_id": public_id, "currency": currency}
            for public_id, currency in stores.values_list("public_id", "currency")
        ],
        "catalogs": catalogs,
        "items": _items_data(rows=rows, merchant=merchant, money=money, request=request),
        "modifier_groups": groups,
    }


def _items_data(
    *, rows: MenuRows, merchant: Merchant, money: MenuMoney, request, only: int | None = None
) -> list[dict]:
    """Items in the ItemOutput shape (all, or the one with pk `only`), from the menu rows."""
    pks = [only] if only is not None else list(rows.items)
    updated = dict(
        Item.objects.filter(merchant=merchant, **({"pk": only} if only else {})).values_list(
            "id", "updated_at"
        )
    )
    sections_of: dict[int, list] = {pk: [] for pk in pks}
    for section_pk, section in rows.sections.items():
        for item_pk in rows.section_items.get(section_pk, ()):
            if item_pk in sections_of:
                sections_of[item_pk].append(section["public_id"])
    snoozes_of: dict[int, list] = {pk: [] for pk in pks}
    snoozes = ItemSnooze.objects.filter(item__merchant=merchant).active(timezone.now())
    if only is not None:
        snoozes = snoozes.filter(item_id=only)
    for snooze in snoozes.order_by("store__name", "store_id").values(
        "item_id", "store__public_id", "item__public_id", "until", "created_at"
    ):
        snoozes_of[snooze["item_id"]].append(
            {
                "store": snooze["store__public_id"],
                "item": snooze["item__public_id"],
                "until": snooze["until"],
                "created_at": snooze["created_at"],
            }
        )
    out = []
    for pk in pks:
        public_id, name, description, image, price = rows.items[pk]
        out.append(
            {
                "public_id": public_id,
                "name": name,
                "description": description,
                "price": _money(price, money),
                "image_url": _image_url(image, request),
                "sections": sections_of[pk],
                "modifier_groups": [
                    rows.groups[g][0] for g in rows.item_groups.get(pk, ()) if g in rows.groups
                ],
                "snoozes": snoozes_of[pk],
                "updated_at": updated.get(pk),
            }
        )
    return out


def _money(minor: int, money: MenuMoney) -> dict:
    if money.currency:
        return money_data(minor, money.currency)
    return {"amount": money.text(minor), "amount_minor": minor, "currency": None}


def _image_url(name: str, request) -> str | None:
    if not name:
        return None
    url = Item._meta.get_field("image").storage.url(name)
    return url if "://" in url else request.build_absolute_uri(url)


def _item_response(item: Item, request) -> Response:
    rows = menu_rows_get(merchant_id=item.merchant_id)
    [data] = _items_data(
        rows=rows,
        merchant=item.merchant,
        money=menu_money(item.merchant),
        request=request,
        only=item.pk,
    )
    return Response(ItemOutputSerializer(data).data)


def _snooze_data(store: Store, item_public_id, until: datetime | None, created_at) -> dict:
    return {
        "store": store.public_id,
        "item": item_public_id,
        "until": until,
        "created_at": created_at,
    }


# --- views -------------------------------------------------------------------------------------

_NOT_YOURS = "No such {} among your merchants."
_PROBLEM = "Problem details (application/problem+json); `errors[]` name each field."


class MenuApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "merchant",
                OpenApiTypes.UUID,
                description=(
                    "Public id of one of your merchants. Default: your first merchant by name."
                ),
            )
        ],
        responses={
            200: MenuOutputSerializer,
            400: OpenApiResponse(description="`merchant` is not a UUID. " + _PROBLEM),
            404: OpenApiResponse(description="No such merchant among yours."),
        },
    )
    def get(self, request):
        merchant = _merchant_for_menu(request)
        return Response(MenuOutputSerializer(_menu_data(merchant=merchant, request=request)).data)


class MenuItemApi(APIView):
    @extend_schema(
        responses={
            200: ItemOutputSerializer,
            404: OpenApiResponse(description=_NOT_YOURS.format("item")),
        }
    )
    def get(self, request, public_id):
        return _item_response(get_item_for_api(request, public_id), request)


class MenuItemPriceApi(APIView):
    @extend_schema(
        request=PriceInputSerializer,
        responses={
            200: ItemOutputSerializer,
            400: OpenApiResponse(description="Invalid price. " + _PROBLEM),
            403: OpenApiResponse(description="Only owners and managers can change the menu."),
            404: OpenApiResponse(description=_NOT_YOURS.format("item")),
            413: OpenApiResponse(description="Request body too large."),
        },
    )
    def post(self, request, public_id):
        item = get_item_for_api(request, public_id)
        access.membership_for(request, item.merchant_id, Action.EDIT_MENU)
        data = PriceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        price = price_parse(data.validated_data["price"], menu_money(item.merchant))
        services.item_price_set(item=item, price=price, user=request.user, trigger=Trigger.API)
        return _item_response(item, request)


class StoreSnoozeListApi(APIView):
    @extend_schema(
        responses={
            200: SnoozeOutputSerializer(many=True),
            404: OpenApiResponse(description=_NOT_YOURS.format("store")),
        },
    )
    def get(self, request, public_id):
        """The store's sold-out items now, the soonest back first (by hand last)."""
        store = access.store_get_for_user(request, public_id)
        snoozes = ItemSnooze.objects.filter(store=store).active(timezone.now())
        rows = sorted(
            snoozes.values_list("item__public_id", "until", "created_at"),
            key=lambda row: (row[1] is None, row[1] or row[2], str(row[0])),
        )
        data = [_snooze_data(store, *row) for row in rows]
        return Response(SnoozeOutputSerializer(data, many=True).data)

    @extend_schema(
        request=SnoozeInputSerializer,
        responses={
            201: SnoozeOutputSerializer,
            400: OpenApiResponse(description="Unknown item or invalid `until`. " + _PROBLEM),
            403: OpenApiResponse(description="Your role cannot mark items sold out."),
            404: OpenApiResponse(description=_NOT_YOURS.format("store")),
            413: OpenApiResponse(description="Request body too large."),
        },
    )
    def post(self, request, public_id):
        store = access.store_get_for_user(request, public_id, Action.SNOOZE)
        data = SnoozeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Another merchant's item reads as unknown: its existence is not confirmed.
        item = Item.objects.filter(
            merchant_id=store.merchant_id, public_id=data.validated_data["item"]
        ).first()
        if item is None:
            raise serializers.ValidationError({"item": ["No such item on this store's menu."]})
        until = data.validated_data["until"]
        until = snoozes_services.snooze_until_parse(
            store=store,
            until=until if until in SNOOZE_PRESETS else "at",
            at="" if until in SNOOZE_PRESETS else until,
        )
        snooze = snoozes_services.item_snooze(
            store=store, item=item, until=until, user=request.user, trigger=Trigger.SNOOZE
        )
        return Response(
            SnoozeOutputSerializer(
                _snooze_data(store, item.public_id, snooze.until, snooze.created_at)
            ).data,
            status=status.HTTP_201_CREATED,
        )


class StoreSnoozeDetailApi(APIView):
    @extend_schema(
        responses={
            204: OpenApiResponse(description="The item is back on sale in this store."),
            403: OpenApiResponse(description="Your role cannot mark items sold out."),
            404: OpenApiResponse(
                description="No such store or item among your merchants, or it is not snoozed."
            ),
        },
    )
    def delete(self, request, public_id, item_id):
        store = access.store_get_for_user(request, public_id, Action.SNOOZE)
        item = get_object_or_404(Item, merchant_id=store.merchant_id, public_id=item_id)
        if not snoozes_services.item_unsnooze(
            store=store, item=item, user=request.user, trigger=Trigger.UNSNOOZE
        ):
            raise NotFound("This item is not snoozed in this store.")
        return Response(status=status.HTTP_204_NO_CONTENT)
