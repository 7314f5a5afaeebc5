"""Onboarding REST API: put a store on Gett, follow it, activate or cancel it.

Refusals (a second onboarding, activate before ready, a store without a menu) come back as
problem+json from the project's handler; lookups and roles go through `stores.access`.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from onboarding import services
from onboarding.models import Onboarding
from portal.exceptions import InvalidStateError
from stores import access
from stores.access import Action
from stores.models import Store


class OnboardingOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    gett_onboarding_id = serializers.CharField(allow_null=True, read_only=True)
    can_activate = serializers.BooleanField(read_only=True)
    can_cancel = serializers.BooleanField(read_only=True)
    can_recheck = serializers.BooleanField(read_only=True)

    class Meta:
        model = Onboarding
        fields = [
            "id",
            "status",
            "status_label",
            "error",
            "gett_onboarding_id",
            "gett_store_id",
            "auto_activate",
            "status_times",
            "poll_count",
            "next_poll_at",
            "last_error",
            "last_error_at",
            "can_activate",
            "can_cancel",
            "can_recheck",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OnboardingStatusSerializer(serializers.Serializer):
    current = OnboardingOutputSerializer(allow_null=True)
    history = OnboardingOutputSerializer(many=True, help_text="Every attempt, newest first.")


class OnboardingStartInputSerializer(serializers.Serializer):
    auto_activate = serializers.BooleanField(
        default=False, help_text="Go live as soon as Gett is ready."
    )


def _current_or_409(store: Store) -> Onboarding:
    onboarding = services.onboarding_current(store=store)
    if onboarding is None:
        raise InvalidStateError("This store has not been put on Gett yet.")
    return onboarding


_NOT_FOUND = OpenApiResponse(description="No such store among your merchants.")
_FORBIDDEN = OpenApiResponse(description="Only owners and managers can put a store on Gett.")


class OnboardingApi(APIView):
    @extend_schema(responses={200: OnboardingStatusSerializer, 404: _NOT_FOUND})
    def get(self, request, public_id):
        store = access.store_get_for_user(request, public_id)
        history = list(Onboarding.objects.filter(store=store).order_by("-created_at", "-id"))
        current = services.onboarding_current(store=store)
        return Response(
            {
                "current": OnboardingOutputSerializer(current).data if current else None,
                "history": OnboardingOutputSerializer(history, many=True).data,
            }
        )

    @extend_schema(
        request=OnboardingStartInputSerializer,
        responses={
            201: OnboardingOutputSerializer,
            400: OpenApiResponse(description="The store has no valid published menu."),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(description="Already on Gett, or an onboarding is under way."),
        },
    )
    def post(self, request, public_id):
        store = access.store_get_for_user(request, public_id, Action.ONBOARD)
        data = OnboardingStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        onboarding = services.onboarding_start(
            store=store, user=request.user, auto_activate=data.validated_data["auto_activate"]
        )
        return Response(OnboardingOutputSerializer(onboarding).data, status=status.HTTP_201_CREATED)


class OnboardingActivateApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: OnboardingOutputSerializer,
            400: OpenApiResponse(description="Gett did not activate the store (try again)."),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(description="Not ready to activate (or being activated)."),
        },
    )
    def post(self, request, public_id):
        store = access.store_get_for_user(request, public_id, Action.ONBOARD)
        onboarding = services.onboarding_activate(
            onboarding=_current_or_409(store), user=request.user
        )
        return Response(OnboardingOutputSerializer(onboarding).data)


class OnboardingCancelApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: OnboardingOutputSerializer,
            400: OpenApiResponse(description="Gett could not be reached (try again)."),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(description="Nothing to cancel (already live or ended)."),
        },
    )
    def post(self, request, public_id):
        store = access.store_get_for_user(request, public_id, Action.ONBOARD)
        onboarding = services.onboarding_cancel(
            onboarding=_current_or_409(store), user=request.user
        )
        return Response(OnboardingOutputSerializer(onboarding).data)
