"""The lifecycle of API tokens (django-rest-knox, docs/security.md).

A token is issued per sign-in at ``POST /api/v1/auth/token/`` and lives
``API_TOKEN_DAYS`` days. Every token of a user ends (is deleted) when their
password changes (the password page, the admin, ``set_password`` and
``set_unusable_password`` followed by a save, ``manage.py changepassword``),
when they are deactivated or reactivated, and when their role changes
(their groups, or superuser status). The handlers below are connected in
``AccountsConfig.ready``. A change made around the model (``queryset.update``,
plain SQL) sends no signal: deactivation is still enforced, since the
authentication refuses an inactive user on every request."""

from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts.models import ApiToken

# The user's columns whose change ends their tokens.
_GUARDED_FIELDS = ("password", "is_active", "is_superuser")


class TokenLimitReached(Exception):
    """The user holds ``TOKEN_LIMIT_PER_USER`` live tokens already."""

    def __init__(self, limit):
        super().__init__(limit)
        self.limit = limit


def end_tokens(user_ids):
    """Delete every token of these users; the number deleted."""
    user_ids = list(user_ids)
    if not user_ids:
        return 0
    deleted, _by_model = AuthToken.objects.filter(user_id__in=user_ids).delete()
    return deleted


def live_tokens(user):
    """The user's tokens that still open the API, newest first. The expired
    ones are deleted on the way (the authentication does not look for them
    on every request, as knox's own does)."""
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lt=now).delete()
    return ApiToken.objects.filter(user=user).filter(Q(expiry__isnull=True) | Q(expiry__gte=now)).order_by("-created")


def issue_token(user):
    """A new token for ``user`` (one per sign-in, so one per device or
    script): ``(instance, key)``; the key is shown once and never stored.
    Raises :class:`TokenLimitReached` at knox's ``TOKEN_LIMIT_PER_USER``."""
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and live_tokens(user).count() >= limit:
        raise TokenLimitReached(limit)
    return AuthToken.objects.create(user=user)


# Signal handlers -----------------------------------------------------------------


def remember_guarded_changes(sender, instance, raw=False, update_fields=None, **kwargs):
    """``pre_save`` of the user model: note whether this save changes the
    password, the active flag or superuser status (one query for the row
    as stored, only when the save writes one of them)."""
    instance._ends_tokens = False
    if instance._state.adding or instance.pk is None:
        return
    fields = _GUARDED_FIELDS if update_fields is None else [f for f in _GUARDED_FIELDS if f in update_fields]
    if not fields:
        return
    stored = sender._default_manager.using(instance._state.db or "default").filter(pk=instance.pk)
    stored = stored.values(*fields).first()
    if stored is None:
        return
    changed = {field for field in fields if stored[field] != getattr(instance, field)}
    if "password" in changed and getattr(instance, "_rehashing_password", False):
        # Django upgrading the hash of the same password at sign-in.
        changed.discard("password")
    instance._ends_tokens = bool(changed)


def end_tokens_after_guarded_change(sender, instance, raw=False, **kwargs):
    """``post_save`` of the user model: end the tokens if the save changed
    one of the guarded fields (in the save's transaction, if it has one)."""
    if getattr(instance, "_ends_tokens", False):
        instance._ends_tokens = False
        end_tokens([instance.pk])


def end_tokens_on_role_change(sender, instance, action, reverse, model, pk_set, **kwargs):
    """``m2m_changed`` of the user's groups, from either side: a user whose
    groups change (added, removed, cleared) loses every token."""
    if action == "pre_clear" and reverse:
        # group.user_set.clear(): the users are gone from the table after.
        instance._users_before_clear = list(model._default_manager.filter(groups=instance).values_list("pk", flat=True))
        return
    if action in ("post_add", "post_remove"):
        if pk_set:
            end_tokens(pk_set if reverse else [instance.pk])
    elif action == "post_clear":
        end_tokens(getattr(instance, "_users_before_clear", []) if reverse else [instance.pk])


def token_settings_summary():
    """How long a token lives and how many a user may hold, for the pages."""
    return {
        "days": knox_settings.TOKEN_TTL.days if knox_settings.TOKEN_TTL else None,
        "limit": knox_settings.TOKEN_LIMIT_PER_USER,
    }
