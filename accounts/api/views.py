from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from accounts.api.serializers import UnitSerializer
from accounts.models import Unit
from accounts.views import lockout_message


class CredentialsSerializer(serializers.Serializer):
    """A username and password, refused (400) before anything is looked up
    when they cannot be one: longer than any, or holding NUL characters
    (which DRF's CharField refuses)."""

    username = serializers.CharField(label=_("Username"), max_length=150, write_only=True)
    password = serializers.CharField(
        label=_("Password"), max_length=4096, style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )


class TokenRequestSerializer(CredentialsSerializer, AuthTokenSerializer):
    """DRF's credentials check, with the limits above."""


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for the API token a script sends as
    ``Authorization: Token …``. The same token is returned until an
    administrator deletes it.

    Failed attempts count toward the same lockout as the login page
    (django-axes): after five failures for one username from one address,
    the pair is refused with 429 for 30 minutes."""

    # No session here: a signed-in browser posting to this endpoint must not
    # trip over CSRF, and nobody needs to be signed in to ask for a token.
    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: AuthTokenSerializer,
            429: OpenApiResponse(
                inline_serializer("LockedOut", fields={"detail": serializers.CharField()}),
                description="Too many failed attempts: locked for a while.",
            ),
        },
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        # Django's own request, so that the lockout backend reads the
        # client's address and records the attempt on it.
        django_request = request._request
        # The shape first (no lookup of a username that cannot be one), then
        # the lockout, then the password.
        shape = CredentialsSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        credentials = get_credentials(username=shape.validated_data["username"])
        if not AxesProxyHandler.is_allowed(django_request, credentials):
            return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        serializer = self.serializer_class(data=request.data, context={"request": django_request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The organisations of the campaign: the bureau, the township and street
    governments, the member units. Not secret: everyone signed in reads them."""

    queryset = Unit.objects.order_by("kind", "name")
    serializer_class = UnitSerializer
    pagination_class = None
