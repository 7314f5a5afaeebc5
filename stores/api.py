"""Merchant REST API: stores, pause and resume. Scoped to the merchants the user belongs to."""

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, ParseError, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from gett import outbox
from portal.exceptions import InvalidStateError
from stores import services
from stores.models import Membership, PauseReason, Store


class SyncSerializer(serializers.Serializer):
    kind = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class StoreOutputSerializer(serializers.ModelSerializer):
    partner_store_id = serializers.UUIDField(source="public_id", read_only=True)
    merchant = serializers.CharField(source="merchant.name", read_only=True)
    address = serializers.SerializerMethodField()
    last_sync = serializers.SerializerMethodField()

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
            "auto_accept",
            "last_sync",
        ]

    def get_address(self, store: Store) -> dict:
        return {
            "street": store.street,
            "city": store.city,
            "state": store.state,
            "postalCode": store.postal_code,
            "country": store.country,
        }

    @extend_schema_field(SyncSerializer(allow_null=True))
    def get_last_sync(self, store: Store) -> dict | None:
        latest = self.context.get("latest_sync", {}).get(store.outbox_key)
        if latest is None and "latest_sync" not in self.context:
            latest = outbox.latest_for_key(store.outbox_key)
        return SyncSerializer(latest).data if latest else None


class PauseInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=PauseReason.choices)
    resume_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the store comes back by itself."
    )


def _stores_for(user):
    return Store.objects.filter(merchant__memberships__user=user).select_related("merchant")


def get_store_for_api(request, public_id) -> Store:
    return get_object_or_404(_stores_for(request.user), public_id=public_id)


def _membership(request, store: Store) -> Membership:
    return Membership.objects.get(user=request.user, merchant_id=store.merchant_id)


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "too_large"


def _request_data(request):
    """`request.data`, with bodies that would give a 500 or an HTML 400 answered as JSON 4xx."""
    try:
        return request.data
    except RequestDataTooBig:
        # Django would answer its bare HTML 400 page.
        raise RequestTooLarge() from None
    except RecursionError:
        # DRF's JSON parser only catches ValueError; deeply nested arrays would be a 500.
        raise ParseError("JSON parse error - nested too deeply.") from None


class StoreListApi(generics.ListAPIView):
    serializer_class = StoreOutputSerializer

    def get_queryset(self):
        return _stores_for(self.request.user).order_by("name", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "latest_sync": {}}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        latest = outbox.latest_for_keys([s.outbox_key for s in page])
        serializer = StoreOutputSerializer(
            page, many=True, context={**self.get_serializer_context(), "latest_sync": latest}
        )
        return self.get_paginated_response(serializer.data)


class StoreDetailApi(APIView):
    @extend_schema(responses=StoreOutputSerializer)
    def get(self, request, public_id):
        store = get_store_for_api(request, public_id)
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
        store = get_store_for_api(request, public_id)
        if not _membership(request, store).can_pause:
            raise PermissionDenied("Your role cannot pause stores.")
        data = PauseInputSerializer(data=_request_data(request))
        data.is_valid(raise_exception=True)
        resume_at = data.validated_data.get("resume_at")
        try:
            # The same limits as the pause form (in the future, at most 30 days ahead).
            resume_at = services.resume_at_for_preset(
                store=store, preset="manual" if resume_at is None else "at", at=resume_at
            )
            store = services.store_pause(
                store=store,
                reason=data.validated_data["reason"],
                resume_at=resume_at,
                user=request.user,
            )
        except ValueError as exc:
            raise serializers.ValidationError({"resume_at": [str(exc)]}) from None
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
        store = get_store_for_api(request, public_id)
        # Resuming is the other half of pausing: the same roles may do it.
        if not _membership(request, store).can_pause:
            raise PermissionDenied("Your role cannot resume stores.")
        try:
            store = services.store_resume(store=store, user=request.user)
        except InvalidStateError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(StoreOutputSerializer(store).data)
