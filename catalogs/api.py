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

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import cast

from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogs import services
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
from catalogs.selectors import public_id_column, uuid_text
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


class ItemFilterSerializer(serializers.Serializer):
    """The item list's filters (query parameters); every one is optional, all apply together."""

    section = serializers.UUIDField(
        required=False, help_text="Public id of a section: the items placed directly in it."
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Part of the name, any case."
    )
    sold_out = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "true: items off sale now in at least one of the merchant's stores (each item's "
            "`snoozes` says where); false: items on sale in every store."
        ),
    )
    updated_since = serializers.DateTimeField(
        required=False,
        help_text=(
            "ISO 8601 date-time (e.g. 2026-11-30T09:00:00Z; URL-encode a `+` offset as %2B): "
            "items whose own fields (name, description, price, image) changed at or after it. "
            "Without an offset it is read as UTC."
        ),
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


# --- reading the menu: items a page (or a batch) at a time ---------------------------------------
# A page of items costs three queries whatever the menu's size (their sections, groups and
# snoozes, by item pk); the full export streams the same shape in batches.

EXPORT_BATCH = 500


def _item_rows(merchant: Merchant):
    """The merchant's items as rows for `_items_data`, in the menu's order (name, then pk)."""
    return (
        Item.objects.filter(merchant=merchant)
        .order_by("name", "id")
        .values_list(
            "id", public_id_column(), "name", "description", "image", "price", "updated_at"
        )
    )


def _items_data(
    rows: Sequence[tuple], *, merchant: Merchant, money: MenuMoney, request
) -> list[dict]:
    """Items in the ItemOutput shape from `_item_rows` rows: three queries for any number.

    Links to another merchant's section or group (which the models refuse) are left out in
    Python: filtering on the joined merchant in SQL makes SQLite walk every section or group
    of the merchant against the page's item ids, which grows with the menu.
    """
    pks = [row[0] for row in rows]

    def linked(links: QuerySet, target: str) -> dict[int, list]:
        """Item pk -> the public ids of its linked `target` (section or group), in order."""
        of: dict[int, list] = defaultdict(list)
        columns = ("item_id", public_id_column(f"{target}__public_id"), f"{target}__merchant_id")
        for item_pk, public_id, owner in links.filter(item_id__in=pks).values_list(*columns):
            if owner == merchant.pk:
                of[item_pk].append(uuid_text(public_id))
        return of

    sections_of = linked(SectionItem.objects.order_by("section__position", "section_id"), "section")
    groups_of = linked(ItemModifierGroup.objects.order_by("position", "id"), "group")
    snoozes_of: dict[int, list] = defaultdict(list)
    snoozes = ItemSnooze.objects.filter(item_id__in=pks).active(timezone.now())
    for item_pk, store_id, until, created_at in snoozes.order_by(
        "store__name", "store_id"
    ).values_list("item_id", "store__public_id", "until", "created_at"):
        snoozes_of[item_pk].append(
            {"store": store_id, "item": None, "until": until, "created_at": created_at}
        )
    out = []
    for pk, public_id, name, description, image, price, updated_at in rows:
        item_id = uuid_text(public_id)
        for snooze in snoozes_of[pk]:
            snooze["item"] = item_id
        out.append(
            {
                "public_id": item_id,
                "name": name,
                "description": description,
                "price": _money(price, money),
                "image_url": _image_url(image, request),
                "sections": sections_of[pk],
                "modifier_groups": groups_of[pk],
                "snoozes": snoozes_of[pk],
                "updated_at": updated_at,
            }
        )
    return out


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _catalogs_data(merchant: Merchant) -> list[dict]:
    """Catalogs with their hours and section tree (each section's item ids): three queries."""
    sections: dict[int, dict] = {}
    roots: dict[int, list[dict]] = defaultdict(list)
    children: list[tuple[int, dict]] = []
    for pk, public_id, name, description, catalog_id, parent_id in (
        Section.objects.filter(merchant=merchant)
        .order_by("position", "id")
        .values_list("id", "public_id", "name", "description", "catalog_id", "parent_id")
    ):
        section = {
            "public_id": public_id,
            "name": name,
            "description": description,
            "items": [],
            "sections": [],
        }
        sections[pk] = section
        if catalog_id is not None:
            roots[catalog_id].append(section)
        else:
            children.append((parent_id, section))
    for parent_id, section in children:
        if parent_id in sections:
            sections[parent_id]["sections"].append(section)
    for section_pk, item_id in (
        SectionItem.objects.filter(section__merchant=merchant, item__merchant=merchant)
        .order_by("position", "id")
        .values_list("section_id", public_id_column("item__public_id"))
    ):
        sections[section_pk]["items"].append(uuid_text(item_id))
    windows: dict[int, list] = defaultdict(list)
    catalogs = list(
        Catalog.objects.filter(merchant=merchant)
        .order_by("position", "id")
        .values_list("id", "public_id", "name", "description")
    )
    for catalog_id, weekday, start, end in AvailabilityWindow.objects.filter(
        catalog__merchant=merchant
    ).values_list("catalog_id", "weekday", "start", "end"):
        windows[catalog_id].append((weekday, start, end))
    return [
        {
            "public_id": public_id,
            "name": name,
            "description": description,
            "windows": [
                {
                    "weekday": weekday,
                    "day": AvailabilityWindow.Weekday(weekday).label,
                    "start": start,
                    "end": end,
                }
                for weekday, start, end in sorted(windows[pk])
            ],
            "sections": roots[pk],
        }
        for pk, public_id, name, description in catalogs
    ]


def _groups_data(rows: Sequence[tuple], *, merchant: Merchant) -> list[dict]:
    """Modifier groups in the ModifierGroupOutput shape, with their options: one query."""
    options_of: dict[int, list[str]] = defaultdict(list)
    for group_pk, item_id, owner in (
        ModifierOption.objects.filter(group_id__in=[row[0] for row in rows])
        .order_by("position", "id")
        .values_list("group_id", public_id_column("item__public_id"), "item__merchant_id")
    ):
        if owner == merchant.pk:  # in Python, as in `_items_data`
            options_of[group_pk].append(uuid_text(item_id))
    return [
        {
            "public_id": uuid_text(public_id),
            "name": name,
            "min_selections": minimum,
            "max_selections": maximum,
            "options": options_of[pk],
        }
        for pk, public_id, name, minimum, maximum in rows
    ]


def menu_export_stream(*, merchant: Merchant, request) -> Iterator[bytes]:
    """The whole menu as one JSON document (the MenuOutput shape), written piece by piece.

    Items and modifier groups, the bulk of a big menu, are read and written a batch at a time
    (`EXPORT_BATCH`: one query to walk them, then three per batch of items and one per batch of
    groups), so memory stays bounded by a batch plus the section outline, whatever the size.

    The pieces are already in their output shape (the serializers' fields, in their order, with
    values DRF's JSON encoder writes as they would), so they are rendered without a walk through
    the serializers, which cost more than reading the menu; the tests hold the result to the
    serializers' bytes.
    """
    renderer = JSONRenderer()
    money = menu_money(merchant)
    stores = Store.objects.filter(merchant=merchant).order_by("name", "pk")
    head = {
        "merchant": MerchantOutputSerializer(merchant).data,
        "currency": money.currency,
        "store_currencies": [
            {"partner_store_id": public_id, "currency": currency}
            for public_id, currency in stores.values_list("public_id", "currency")
        ],
    }
    yield renderer.render(head)[:-1]  # the object stays open: `}` comes last

    def array(key: str, pieces: Iterable[list]) -> Iterator[bytes]:
        yield f',"{key}":['.encode()
        first = True
        for piece in pieces:
            if not piece:
                continue
            body = renderer.render(piece)[1:-1]
            yield body if first else b"," + body
            first = False
        yield b"]"

    yield from array("catalogs", [_catalogs_data(merchant)])
    items = (
        _items_data(batch, merchant=merchant, money=money, request=request)
        for batch in _batches(_item_rows(merchant).iterator(EXPORT_BATCH), EXPORT_BATCH)
    )
    yield from array("items", items)
    group_rows = (
        ModifierGroup.objects.filter(merchant=merchant)
        .order_by("name", "id")
        .values_list("id", public_id_column(), "name", "min_selections", "max_selections")
    )
    groups = (
        _groups_data(batch, merchant=merchant)
        for batch in _batches(group_rows.iterator(EXPORT_BATCH), EXPORT_BATCH)
    )
    yield from array("modifier_groups", groups)
    yield b"}"


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
    [data] = _items_data(
        _item_rows(item.merchant).filter(pk=item.pk),
        merchant=item.merchant,
        money=menu_money(item.merchant),
        request=request,
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


_MERCHANT = OpenApiParameter(
    "merchant",
    OpenApiTypes.UUID,
    description="Public id of one of your merchants. Default: your first merchant by name.",
)


class MenuApi(APIView):
    @extend_schema(
        parameters=[_MERCHANT],
        responses={
            200: OpenApiResponse(
                MenuOutputSerializer,
                description=(
                    "The whole menu in one document, for integrators that mirror it: streamed "
                    "as it is read (chunked, no Content-Length), so it is not paginated and has "
                    "no size limit. To page, search or sync, use `GET /api/v1/menu/items/`."
                ),
            ),
            400: OpenApiResponse(description="`merchant` is not a UUID. " + _PROBLEM),
            404: OpenApiResponse(description="No such merchant among yours."),
        },
    )
    def get(self, request):
        merchant = _merchant_for_menu(request)
        response = StreamingHttpResponse(
            menu_export_stream(merchant=merchant, request=request),
            content_type="application/json",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class MenuItemListApi(generics.ListAPIView):
    """The menu's items (modifier options included) a page at a time, by name."""

    serializer_class = ItemOutputSerializer

    @extend_schema(
        parameters=[_MERCHANT, ItemFilterSerializer],
        responses={
            200: ItemOutputSerializer(many=True),
            400: OpenApiResponse(
                description="A filter, `merchant` or `page_size` is invalid. " + _PROBLEM
            ),
            404: OpenApiResponse(description="No such merchant among yours, or no such page."),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        merchant = _merchant_for_menu(request)
        filters = ItemFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = _item_rows(merchant)
        data = filters.validated_data
        if "section" in data:
            section = Section.objects.filter(merchant=merchant, public_id=data["section"]).first()
            if section is None:
                raise serializers.ValidationError({"section": ["No such section on this menu."]})
            rows = rows.filter(section_items__section=section)
        if data.get("name", "").strip():
            rows = rows.filter(name__icontains=data["name"].strip())
        if data["sold_out"] is not None:
            sold_out = Exists(ItemSnooze.objects.active().filter(item_id=OuterRef("pk")))
            rows = rows.filter(sold_out if data["sold_out"] else ~sold_out)
        if "updated_since" in data:
            rows = rows.filter(updated_at__gte=data["updated_since"])
        page = self.paginate_queryset(rows)
        assert page is not None  # the API's default pagination class is set
        items = _items_data(page, merchant=merchant, money=menu_money(merchant), request=request)
        return self.get_paginated_response(ItemOutputSerializer(items, many=True).data)


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


class StoreSnoozeListApi(generics.ListAPIView):
    serializer_class = SnoozeOutputSerializer

    @extend_schema(
        responses={
            200: SnoozeOutputSerializer(many=True),
            404: OpenApiResponse(description=_NOT_YOURS.format("store") + " Or no such page."),
        },
    )
    def get(self, request, *args, **kwargs):
        """The store's sold-out items now, a page at a time: the soonest back first, those
        turned back on by hand last (oldest first)."""
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        store = access.store_get_for_user(request, kwargs["public_id"])
        snoozes = (
            ItemSnooze.objects.filter(store=store)
            .active(timezone.now())
            .order_by(
                F("until").asc(nulls_last=True),
                Coalesce("until", "created_at"),
                "item__public_id",
            )
            .values_list("item__public_id", "until", "created_at")
        )
        page = self.paginate_queryset(snoozes)
        assert page is not None  # the API's default pagination class is set
        data = [_snooze_data(store, *row) for row in page]
        return self.get_paginated_response(SnoozeOutputSerializer(data, many=True).data)

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
