"""Merchant REST API: stores, pause and resume. Scoped to the merchants the user belongs to.

Conventions for the whole merchant API (the menu API follows them too):

* Names are snake_case, as DRF writes them (`postal_code`, `partner_store_id`); the Gett wire
  format stays camelCase inside `gett`.
* Every money value is an object that carries its currency::

      "delivery_fee": {"amount": "2.50", "amount_minor": 250, "currency": "GBP"}

  `amount` is a decimal string in major units with the currency's decimal places (never a float),
  `amount_minor` the same value as an integer in minor units, `currency` its ISO 4217 code
  (`MoneySerializer`, built by `portal.money.money_data`).
* Lookups and roles go through `stores.access`: another merchant's store is a 404; a role that may
  not do a thing gets a 403 saying who can.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gett import outbox
from portal.money import money_data
from stores import access, services
from stores.access import Action
from stores.models import MAX_BUSY_MINUTES, PauseReason, Store


class MoneySerializer(serializers.Serializer):
    """How every money value reads in the API (see the module docstring)."""

    amount = serializers.CharField(help_text="Major units, e.g. 2.50.")
    amount_minor = serializers.IntegerField(help_text="Minor units, e.g. 250.")
    currency = serializers.CharField(help_text="ISO 4217, e.g. GBP.")


class AddressSerializer(serializers.Serializer):
    street = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, e.g. GB.")


class SyncSerializer(serializers.Serializer):
    kind = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class BusySerializer(serializers.Serializer):
    extra_minutes = serializers.IntegerField()
    until = serializers.DateTimeField()


class StoreOutputSerializer(serializers.ModelSerializer):
    partner_store_id = serializers.UUIDField(source="public_id", read_only=True)
    merchant = serializers.CharField(source="merchant.name", read_only=True)
    address = serializers.SerializerMethodField()
    delivery_fee = serializers.SerializerMethodField()
    minimum_order = serializers.SerializerMethodField()
    busy = serializers.SerializerMethodField(
        help_text=(
            "Busy mode: orders accepted now are promised `extra_minutes` later, until `until`; "
            "null when off."
        )
    )
    last_sync = serializers.SerializerMethodField(
        help_text=(
            "Where the store stands with Gett: its worst current message (a failed or retrying "
            "change is not hidden by a newer delivered one), the newest among equally bad; null "
            "when nothing was sent."
        )
    )

    class Meta:
        model = Store
        fields = [
            "partner_store_id",
            "gett_store_id",
            "merchant",
            "name",
            "phone",
            "description",
            "address",
            "timezone",
            "currency",
            "delivery_allowed",
            "pickup_allowed",
            "status",
            "pause_reason",
            "paused_at",
            "resume_at",
            "tax_rate_bp",
            "delivery_fee",
            "minimum_order",
            "default_prep_minutes",
            "busy",
            "auto_accept",
            "last_sync",
        ]

    @extend_schema_field(AddressSerializer)
    def get_address(self, store: Store) -> dict:
        return {
            "street": store.street,
            "city": store.city,
            "state": store.state,
            "postal_code": store.postal_code,
            "country": store.country,
        }

    @extend_schema_field(MoneySerializer)
    def get_delivery_fee(self, store: Store) -> dict:
        return money_data(store.delivery_fee, store.currency)

    @extend_schema_field(MoneySerializer)
    def get_minimum_order(self, store: Store) -> dict:
        return money_data(store.minimum_order, store.currency)

    @extend_schema_field(BusySerializer(allow_null=True))
    def get_busy(self, store: Store) -> dict | None:
        extra = store.busy_extra_at(timezone.now())
        return (
            BusySerializer({"extra_minutes": extra, "until": store.busy_until}).data
            if extra
            else None
        )

    @extend_schema_field(SyncSerializer(allow_null=True))
    def get_last_sync(self, store: Store) -> dict | None:
        summaries = self.context.get("sync_summaries") or outbox.sync_summaries([store.outbox_key])
        headline = summaries[store.outbox_key].headline
        return SyncSerializer(headline).data if headline else None


class PauseInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=PauseReason.choices)
    resume_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the store comes back by itself."
    )


class StoreListApi(generics.ListAPIView):
    serializer_class = StoreOutputSerializer

    def get_queryset(self):
        return access.stores_for(self.request).order_by("name", "pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        summaries = outbox.sync_summaries([s.outbox_key for s in page])
        serializer = StoreOutputSerializer(
            page, many=True, context={**self.get_serializer_context(), "sync_summaries": summaries}
        )
        return self.get_paginated_response(serializer.data)


class StoreDetailApi(APIView):
    @extend_schema(responses=StoreOutputSerializer)
    def get(self, request, public_id):
        store = access.store_get_for_user(request, public_id)
        return Response(StoreOutputSerializer(store).data)


class StorePauseApi(APIView):
    @extend_schema(
        request=PauseInputSerializer,
        responses={
            200: StoreOutputSerializer,
            400: OpenApiResponse(description="Invalid reason or resume time (field errors)."),
            403: OpenApiResponse(description="Your role cannot pause stores."),
            404: OpenApiResponse(description="No such store among your merchants."),
            413: OpenApiResponse(description="Request body too large."),
        },
    )
    def post(self, request, public_id):
        store = access.store_get_for_user(request, public_id, Action.PAUSE)
        data = PauseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The same limits as the pause form: `services.store_pause` owns them.
        store = services.store_pause(
            store=store,
            reason=data.validated_data["reason"],
            resume_at=data.validated_data.get("resume_at"),
            user=request.user,
        )
        return Response(StoreOutputSerializer(store).data)


class BusyInputSerializer(serializers.Serializer):
    extra_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_BUSY_MINUTES,
        help_text="Minutes added to the usual prep time of orders accepted from now; 0 turns "
        "busy mode off.",
    )
    until = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When busy mode ends by itself (required when on; at most a day ahead).",
    )


class StoreBusyApi(APIView):
    @extend_schema(
        request=BusyInputSerializer,
        responses={
            200: StoreOutputSerializer,
            400: OpenApiResponse(description="Invalid minutes or end time (field errors)."),
            403: OpenApiResponse(description="Your role cannot change busy mode."),
            404: OpenApiResponse(description="No such store among your merchants."),
        },
    )
    def post(self, request, public_id):
        # Busy mode is the kitchen's call, like a pause: the same roles.
        store = access.store_get_for_user(request, public_id, Action.PAUSE)
        data = BusyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        store = services.store_busy_set(
            store=store,
            extra_minutes=data.validated_data["extra_minutes"],
            until=data.validated_data.get("until"),
            user=request.user,
        )
        return Response(StoreOutputSerializer(store).data)


class StoreResumeApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: StoreOutputSerializer,
            403: OpenApiResponse(description="Your role cannot resume stores."),
            404: OpenApiResponse(description="No such store among your merchants."),
            409: OpenApiResponse(description="The store is already online."),
        },
    )
    def post(self, request, public_id):
        # Resuming is the other half of pausing: the same roles may do it.
        store = access.store_get_for_user(request, public_id, Action.PAUSE)
        store = services.store_resume(store=store, user=request.user)
        return Response(StoreOutputSerializer(store).data)
