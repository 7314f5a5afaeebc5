"""Merchant REST API for menus: read the menu, change a price, snooze items in a store.

Scoped like the stores API: only merchants the user is a member of; another merchant's menu,
item or store is a 404. Reading and snoozing: every role. Changing prices: owners and managers.

Money: `price` is a decimal string in major units ("12.50"), the same form the price endpoint
takes, as the menu editor shows it (`catalogs.editor.forms.menu_money`); `price_minor` is the stored
integer in minor units (1250). A menu is shared by the merchant's stores and each reads the
price in its own currency: `currency` is theirs, or null when they use different currencies.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict

from django.db.models import QuerySet
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
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogs import services
from catalogs.csv.services import price_major, price_minor
from catalogs.editor.forms import MenuMoney, menu_money
from catalogs.models import (
    AvailabilityWindow,
    Catalog,
    Item,
    ItemModifierGroup,
    ItemSnooze,
    ModifierGroup,
    ModifierOption,
    Section,
    SectionItem,
    Trigger,
)
from catalogs.snoozes import services as snoozes_services
from stores.api import _request_data, get_store_for_api
from stores.models import Membership, Merchant

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
        return SectionOutputSerializer(section["sections"], many=True, context=self.context).data


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
    price = serializers.CharField(help_text='Decimal string in major units, e.g. "12.50".')
    price_minor = serializers.IntegerField(help_text="The price in minor units, e.g. 1250.")
    currency = serializers.CharField(
        allow_null=True,
        help_text="ISO 4217, as the menu's `currency` (null: read in each store's own).",
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


class MenuOutputSerializer(serializers.Serializer):
    merchant = MerchantOutputSerializer()
    currency = serializers.CharField(
        allow_null=True,
        help_text=(
            "ISO 4217: the currency of the merchant's stores; null when they use different "
            "currencies (a price is then read in each store's own currency)."
        ),
    )
    catalogs = CatalogOutputSerializer(many=True)
    items = ItemOutputSerializer(many=True, help_text="Every item, modifier options included.")
    modifier_groups = ModifierGroupOutputSerializer(many=True)


# --- input -------------------------------------------------------------------------------------


class PriceInputSerializer(serializers.Serializer):
    price = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        help_text=(
            'Major units as a decimal string, e.g. "12.50" (not negative, at most the '
            "currency's decimal places)."
        ),
    )

    def validate_price(self, value):
        raw = str(self.initial_data.get("price", "")).strip()
        if not re.fullmatch(r"-?\d+(\.\d+)?", raw):
            raise serializers.ValidationError('Write the price like "12.50".')
        return value


class SnoozeInputSerializer(serializers.Serializer):
    item = serializers.UUIDField(help_text="Public id of an item on the store's menu.")
    until = serializers.CharField(
        help_text=(
            '"next_opening" (when the store next opens), "manual" (until turned back on) or an '
            "ISO 8601 date-time in the future; without an offset it is read in the store's "
            "time zone."
        )
    )

    def validate_until(self, value: str):
        if value in SNOOZE_PRESETS:
            return value
        field = serializers.DateTimeField(default_timezone=self.context["store"].tzinfo)
        try:
            return field.to_internal_value(value)
        except serializers.ValidationError:
            raise serializers.ValidationError(
                'Use "next_opening", "manual" or an ISO 8601 date-time, '
                "e.g. 2030-01-31T18:00:00+00:00."
            ) from None


# --- lookups -----------------------------------------------------------------------------------


def _items_for(user) -> QuerySet[Item]:
    return Item.objects.filter(merchant__memberships__user=user)


def get_item_for_api(request, public_id) -> Item:
    """Every item lookup goes through here: another merchant's item is a 404."""
    items = _items_for(request.user).select_related("merchant")
    return get_object_or_404(items, public_id=public_id)


def _membership(request, merchant_id: int) -> Membership:
    return Membership.objects.get(user=request.user, merchant_id=merchant_id)


def _can_edit_menu(membership: Membership) -> bool:
    # ARCHITECTURE: owners and managers edit menus, the same roles as store details.
    return membership.can_edit_stores


def _merchant_for_menu(request) -> Merchant:
    """`?merchant=<public_id>`, or the user's first merchant by name (as the portal's default)."""
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("merchant")
        .order_by("merchant__name", "pk")
    )
    wanted = request.query_params.get("merchant")
    if wanted is not None:
        try:
            wanted = uuid.UUID(wanted)
        except ValueError:
            raise serializers.ValidationError({"merchant": ["Must be a valid UUID."]}) from None
        memberships = memberships.filter(merchant__public_id=wanted)
    membership = memberships.first()
    if membership is None:
        raise NotFound("No such merchant among yours." if wanted else "You have no merchant.")
    return membership.merchant


# --- reading the menu (a fixed number of queries, whatever its size) ----------------------------


def _menu_data(*, merchant: Merchant, request) -> dict:
    money = menu_money(merchant)
    sections = {
        row["id"]: {**row, "items": [], "sections": []}
        for row in Section.objects.filter(merchant=merchant)
        .order_by("position", "id")
        .values("id", "public_id", "name", "description", "catalog_id", "parent_id")
    }
    for section_id, item_public_id in (
        SectionItem.objects.filter(section__merchant=merchant)
        .order_by("position", "id")
        .values_list("section_id", "item__public_id")
    ):
        sections[section_id]["items"].append(item_public_id)
    roots: dict[int, list[dict]] = defaultdict(list)
    for section in sections.values():
        if section["parent_id"] is not None and section["parent_id"] in sections:
            sections[section["parent_id"]]["sections"].append(section)
        elif section["catalog_id"] is not None:
            roots[section["catalog_id"]].append(section)

    windows: dict[int, list[dict]] = defaultdict(list)
    for catalog_id, weekday, start, end in AvailabilityWindow.objects.filter(
        catalog__merchant=merchant
    ).values_list("catalog_id", "weekday", "start", "end"):
        windows[catalog_id].append(
            {
                "weekday": weekday,
                "day": AvailabilityWindow.Weekday(weekday).label,
                "start": start,
                "end": end,
            }
        )
    catalogs = [
        {**row, "windows": windows[row["id"]], "sections": roots[row["id"]]}
        for row in Catalog.objects.filter(merchant=merchant)
        .order_by("position", "id")
        .values("id", "public_id", "name", "description")
    ]

    groups = {
        row["id"]: {**row, "options": []}
        for row in ModifierGroup.objects.filter(merchant=merchant).values(
            "id", "public_id", "name", "min_selections", "max_selections"
        )
    }
    for group_id, item_public_id in (
        ModifierOption.objects.filter(group__merchant=merchant)
        .order_by("position", "id")
        .values_list("group_id", "item__public_id")
    ):
        groups[group_id]["options"].append(item_public_id)

    return {
        "merchant": merchant,
        "currency": money.currency,
        "catalogs": catalogs,
        "items": _items_data(
            items=Item.objects.filter(merchant=merchant), money=money, request=request
        ),
        "modifier_groups": list(groups.values()),
    }


def _items_data(*, items: QuerySet[Item], money: MenuMoney, request) -> list[dict]:
    """Items in the ItemOutput shape: four queries for any number of items."""
    rows = {
        row["id"]: {
            **row,
            "price_minor": row["price"],
            "price": price_major(row["price"], money),
            "currency": money.currency,
            "image_url": _image_url(row["image"], request),
            "sections": [],
            "modifier_groups": [],
            "snoozes": [],
        }
        for row in items.order_by("name", "id").values(
            "id", "public_id", "name", "description", "price", "image", "updated_at"
        )
    }
    ids = list(rows)
    for item_id, section_public_id in (
        SectionItem.objects.filter(item_id__in=ids)
        .order_by("section__position", "section_id")
        .values_list("item_id", "section__public_id")
    ):
        rows[item_id]["sections"].append(section_public_id)
    for item_id, group_public_id in (
        ItemModifierGroup.objects.filter(item_id__in=ids)
        .order_by("position", "id")
        .values_list("item_id", "group__public_id")
    ):
        rows[item_id]["modifier_groups"].append(group_public_id)
    for snooze in (
        ItemSnooze.objects.filter(item_id__in=ids)
        .active(timezone.now())
        .order_by("store__name", "store_id")
        .values("item_id", "store__public_id", "item__public_id", "until", "created_at")
    ):
        rows[snooze["item_id"]]["snoozes"].append(
            {
                "store": snooze["store__public_id"],
                "item": snooze["item__public_id"],
                "until": snooze["until"],
                "created_at": snooze["created_at"],
            }
        )
    return list(rows.values())


def _image_url(name: str, request) -> str | None:
    if not name:
        return None
    url = Item._meta.get_field("image").storage.url(name)
    return url if "://" in url else request.build_absolute_uri(url)


def _item_response(item: Item, request) -> Response:
    [data] = _items_data(
        items=Item.objects.filter(pk=item.pk),
        money=menu_money(item.merchant),
        request=request,
    )
    return Response(ItemOutputSerializer(data).data)


def _snooze_data(snooze: ItemSnooze, *, store, item) -> dict:
    return {
        "store": store.public_id,
        "item": item.public_id,
        "until": snooze.until,
        "created_at": snooze.created_at,
    }


# --- views -------------------------------------------------------------------------------------

_NOT_YOURS = "No such {} among your merchants."


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
            400: OpenApiResponse(description="`merchant` is not a UUID."),
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
            400: OpenApiResponse(description="Invalid price (field errors)."),
            403: OpenApiResponse(description="Only owners and managers can change prices."),
            404: OpenApiResponse(description=_NOT_YOURS.format("item")),
            413: OpenApiResponse(description="Request body too large."),
        },
    )
    def post(self, request, public_id):
        item = get_item_for_api(request, public_id)
        if not _can_edit_menu(_membership(request, item.merchant_id)):
            raise PermissionDenied("Only owners and managers can change prices.")
        data = PriceInputSerializer(data=_request_data(request))
        data.is_valid(raise_exception=True)
        try:
            price = price_minor(data.validated_data["price"], menu_money(item.merchant))
        except ValueError as exc:
            raise serializers.ValidationError({"price": [str(exc)]}) from None
        services.item_price_set(item=item, price=price, user=request.user, trigger=Trigger.API)
        return _item_response(item, request)


class StoreSnoozeListApi(APIView):
    @extend_schema(
        request=SnoozeInputSerializer,
        responses={
            201: SnoozeOutputSerializer,
            400: OpenApiResponse(description="Unknown item or invalid `until` (field errors)."),
            404: OpenApiResponse(description=_NOT_YOURS.format("store")),
            413: OpenApiResponse(description="Request body too large."),
        },
    )
    def post(self, request, public_id):
        store = get_store_for_api(request, public_id)
        data = SnoozeInputSerializer(data=_request_data(request), context={"store": store})
        data.is_valid(raise_exception=True)
        # Another merchant's item reads as unknown: its existence is not confirmed.
        item = Item.objects.filter(
            merchant_id=store.merchant_id, public_id=data.validated_data["item"]
        ).first()
        if item is None:
            raise serializers.ValidationError({"item": ["No such item on this store's menu."]})
        until = data.validated_data["until"]
        try:
            if until in SNOOZE_PRESETS:
                until = snoozes_services.snooze_until_for_preset(store=store, preset=until)
            else:
                until = snoozes_services.snooze_until_for_preset(store=store, preset="at", at=until)
            snooze = snoozes_services.item_snooze(
                store=store, item=item, until=until, user=request.user, trigger=Trigger.SNOOZE
            )
        except ValueError as exc:
            raise serializers.ValidationError({"until": [str(exc)]}) from None
        return Response(
            SnoozeOutputSerializer(_snooze_data(snooze, store=store, item=item)).data,
            status=status.HTTP_201_CREATED,
        )


class StoreSnoozeDetailApi(APIView):
    @extend_schema(
        responses={
            204: OpenApiResponse(description="The item is back on sale in this store."),
            404: OpenApiResponse(
                description="No such store or item among your merchants, or it is not snoozed."
            ),
        },
    )
    def delete(self, request, public_id, item_id):
        store = get_store_for_api(request, public_id)
        item = get_object_or_404(Item, merchant_id=store.merchant_id, public_id=item_id)
        if not snoozes_services.item_unsnooze(
            store=store, item=item, user=request.user, trigger=Trigger.UNSNOOZE
        ):
            raise NotFound("This item is not snoozed in this store.")
        return Response(status=status.HTTP_204_NO_CONTENT)
