from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import UnitSerializer
from accounts.models import Unit
from accounts.tokens import TokenLimitReached, issue_token
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
    """DRF's credentials check (``authenticate``, with its messages), with
    the limits above."""


class IssuedTokenSerializer(serializers.Serializer):
    """A new token (shown this once: only its digest is stored) and when it
    expires."""

    token = serializers.CharField()
    expiry = serializers.DateTimeField()


def _refusal(name, description):
    return OpenApiResponse(inline_serializer(name, fields={"detail": serializers.CharField()}), description=description)


class ObtainTokenView(APIView):
    """Exchange a username and password for a new API token, which a script
    sends as ``Authorization: Token …``: ``{"token": …, "expiry": …}``.

    Each call issues another token (one per device or script; knox keeps
    only its digest), valid for ``API_TOKEN_DAYS`` days; a user holds at
    most ``API_TOKEN_LIMIT`` live ones (403 beyond, until they end one on
    the password page). A password change, deactivation or role change ends
    them all (accounts.tokens).

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
            200: IssuedTokenSerializer,
            403: _refusal("TokenLimitReached", "The user holds the most live tokens allowed."),
            429: _refusal("LockedOut", "Too many failed attempts: locked for a while."),
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
        try:
            instance, token = issue_token(serializer.validated_data["user"])
        except TokenLimitReached as refusal:
            message = ngettext(
                "You already hold %(limit)d API token, the most allowed. End one on the password page "
                "(%(page)s) and ask again.",
                "You already hold %(limit)d API tokens, the most allowed. End one on the password page "
                "(%(page)s) and ask again.",
                refusal.limit,
            ) % {"limit": refusal.limit, "page": reverse("accounts:password-change")}
            return Response({"detail": message}, status=status.HTTP_403_FORBIDDEN)
        return Response(IssuedTokenSerializer({"token": token, "expiry": instance.expiry}).data)


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The organisations of the campaigns the caller reads: the bureaus, the
    township and street governments, the member units. Another bureau's
    units are not among them (404)."""

    serializer_class = UnitSerializer
    pagination_class = None

    def get_queryset(self):
        return Unit.objects.visible_to(self.request.user).order_by("kind", "name")
