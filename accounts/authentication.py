"""The API's token authentication (django-rest-knox), in one query.

Knox keeps only a SHA-512 digest of each token and finds a token by its
first 15 characters (``token_key``), then compares digests. Its
``TokenAuthentication`` spends two queries on that (the token with its
user, then all the user's tokens to delete the expired ones) and the user's
role (:attr:`accounts.models.User.role`), which every API request needs
for its scope, a third for the groups. Here one statement reads the token
by its ``token_key`` together with its user and the names of the user's
groups; the digest is compared in Python, as knox does. The user's other
expired tokens are deleted when they sign in again and when they open
their tokens' list (accounts.tokens), not on every request.

The statement is written out rather than built by the ORM because it runs
on every API request, where a list page's own query takes about a
millisecond. Measured per authentication and role, warm, the best of 5 ×
3,000 on the (busy, two-core) development machine, SQLite / PostgreSQL 15
on loopback: this statement 0.2 / 0.5-0.9 ms (one query); knox's own class
and then the role 1.2-1.4 / 2.4-3.6 ms (three queries); the ORM's one query
(the token, ``select_related("user")``, ``F("user__groups__name")``)
0.5 / 0.9-1.9 ms. DRF's plain-text token with the same kind of statement
took 0.13 / 0.4 ms (one query)."""

import binascii
import functools
import re
from hmac import compare_digest

from django.contrib.auth.models import Group
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from accounts.models import User

# The token columns read along with the user, under these names.
_TOKEN_COLUMNS = {"digest": "token_digest", "created": "token_created", "expiry": "token_expiry"}


@functools.cache
def _user_by_token_sql(vendor):
    """SELECT the user's columns, the token's digest, created and expiry,
    and ``role_group``: one row per token with this ``token_key`` and group
    of its user (a single row with NULL when they have none). Names come
    from the models' metadata."""
    qn = connections[User.objects.db].ops.quote_name
    user, token, group = User._meta, AuthToken._meta, Group._meta
    membership = user.get_field("groups").remote_field.through._meta

    def column(meta, name):
        return qn(meta.get_field(name).column)

    columns = ", ".join(
        [f"u.{qn(field.column)}" for field in user.concrete_fields]
        + [f"t.{column(token, name)} AS {alias}" for name, alias in _TOKEN_COLUMNS.items()]
    )
    return (
        f"SELECT {columns}, g.{column(group, 'name')} AS role_group "
        f"FROM {qn(token.db_table)} t "
        f"JOIN {qn(user.db_table)} u ON u.{column(user, 'id')} = t.{column(token, 'user')} "
        f"LEFT JOIN {qn(membership.db_table)} m ON m.{column(membership, 'user')} = u.{column(user, 'id')} "
        f"LEFT JOIN {qn(group.db_table)} g ON g.{column(group, 'id')} = m.{column(membership, 'group')} "
        f"WHERE t.{column(token, 'token_key')} = %s"
    )


def _from_db(field, value, connection):
    """A column read by raw SQL, converted as the ORM converts the field's
    own column (SQLite returns datetimes as text)."""
    expression = field.get_col(field.model._meta.db_table)
    for converter in [*connection.ops.get_db_converters(expression), *expression.get_db_converters(connection)]:
        value = converter(value, expression, connection)
    return value


def _token_shape():
    """What knox makes: its prefix, then AUTH_TOKEN_CHARACTER_LENGTH hex digits."""
    length = knox_settings.AUTH_TOKEN_CHARACTER_LENGTH
    return re.compile(re.escape(knox_settings.TOKEN_PREFIX) + f"[0-9a-f]{{{length}}}")


class TokenAuthentication(knox_auth.TokenAuthentication):
    """``Authorization: Token <key>``, as knox's, with the token, its user
    and the user's role read in one query."""

    def authenticate_credentials(self, token):
        invalid = exceptions.AuthenticationFailed(_("Invalid token."))
        if isinstance(token, bytes):
            try:
                token = token.decode("ascii")
            except UnicodeDecodeError:
                raise invalid from None
        # Not a token knox could have made (a NUL, which PostgreSQL cannot
        # compare, or 10,000 characters): refused before any query.
        if not _token_shape().fullmatch(token):
            raise invalid
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error):
            raise invalid from None

        db = User.objects.db
        connection = connections[db]
        rows = list(User.objects.raw(_user_by_token_sql(connection.vendor), [token[: CONSTANTS.TOKEN_KEY_LENGTH]]))
        rows = [row for row in rows if compare_digest(row.token_digest, digest)]
        if not rows:
            raise invalid
        user = rows[0]
        auth_token = AuthToken.from_db(
            db,
            ["digest", "token_key", "user_id", "created", "expiry"],
            [
                digest,
                token[: CONSTANTS.TOKEN_KEY_LENGTH],
                user.pk,
                _from_db(AuthToken._meta.get_field("created"), user.token_created, connection),
                _from_db(AuthToken._meta.get_field("expiry"), user.token_expiry, connection),
            ],
        )
        auth_token.user = user
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=user.get_username(), source="auth_token")
            raise exceptions.AuthenticationFailed(_("The token has expired: ask for a new one."))
        if not user.is_active:
            # Deactivation deletes a user's tokens (accounts.tokens); this
            # holds where it went around the model (a queryset update).
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        user.remember_groups(row.role_group for row in rows)
        if knox_settings.AUTO_REFRESH and auth_token.expiry is not None:
            self.renew_token(auth_token)
        return user, auth_token


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for this authentication: ``tokenAuth``, as DRF's
    token was called (drf-spectacular's knox extension does not match a
    subclass)."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )
