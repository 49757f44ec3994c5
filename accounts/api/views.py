from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from accounts.api.serializers import UnitSerializer
from accounts.models import Unit


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for the API token a script sends as
    ``Authorization: Token …``. The same token is returned until an
    administrator deletes it."""

    # No session here: a signed-in browser posting to this endpoint must not
    # trip over CSRF, and nobody needs to be signed in to ask for a token.
    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)

    @extend_schema(request=AuthTokenSerializer, responses={200: AuthTokenSerializer}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The organisations of the campaign: the bureau, the township and street
    governments, the member units. Not secret: everyone signed in reads them."""

    queryset = Unit.objects.order_by("kind", "name")
    serializer_class = UnitSerializer
    pagination_class = None
