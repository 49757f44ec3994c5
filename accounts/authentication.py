"""The API's token authentication, in one query.

Django REST framework's ``TokenAuthentication`` reads the token with its
user; the user's role (:attr:`accounts.models.User.role`), which every API
request needs for its scope, then costs a second query for the groups. Here
one statement reads the user by the token's key together with the names of
their groups. It is written out rather than built by the ORM because it runs
on every API request, where a list page's own query takes about a
millisecond: on the bench machine this statement took under 1 ms, DRF's two
queries 2.5 ms, and the ORM's one query with a subquery for the role 4 ms
(its Case/When and subquery cost more to build than to run)."""

import functools

from django.contrib.auth.models import Group
from django.db import connections
from rest_framework import authentication
from rest_framework.authtoken.models import Token

from accounts.models import User


@functools.cache
def _user_by_token_sql(vendor):
    """SELECT the user's columns and ``role_group``, one row per group of
    the user (a single row with NULL when they have none), WHERE the token's
    key is the one parameter. Names come from the models' metadata."""
    qn = connections[User.objects.db].ops.quote_name
    user, token, group = User._meta, Token._meta, Group._meta
    membership = user.get_field("groups").remote_field.through._meta

    def column(meta, name):
        return qn(meta.get_field(name).column)

    columns = ", ".join(f"u.{qn(field.column)}" for field in user.concrete_fields)
    return (
        f"SELECT {columns}, g.{column(group, 'name')} AS role_group "
        f"FROM {qn(token.db_table)} t "
        f"JOIN {qn(user.db_table)} u ON u.{column(user, 'id')} = t.{column(token, 'user')} "
        f"LEFT JOIN {qn(membership.db_table)} m ON m.{column(membership, 'user')} = u.{column(user, 'id')} "
        f"LEFT JOIN {qn(group.db_table)} g ON g.{column(group, 'id')} = m.{column(membership, 'group')} "
        f"WHERE t.{column(token, 'key')} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, with the user's role read
    in the same query as the user."""

    def authenticate_credentials(self, key):
        db = User.objects.db
        users = list(User.objects.raw(_user_by_token_sql(connections[db].vendor), [key]))
        if not users or not users[0].is_active:
            # Refused: DRF's own answer, with its messages ("Invalid token.",
            # "User inactive or deleted.") in its own translations.
            return super().authenticate_credentials(key)
        user = users[0]
        user.remember_groups(row.role_group for row in users)
        # The token as DRF's authentication gives it (request.auth); its
        # other columns load if something asks for them.
        token = Token.from_db(db, ["key", "user_id"], [key, user.pk])
        token.user = user
        return user, token
