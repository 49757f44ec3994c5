"""API tokens for the tests: a new django-rest-knox token per call, as a
sign-in at ``POST /api/v1/auth/token/`` gives one."""

from knox.models import AuthToken


def token_for(user):
    """The key of a new token of ``user``, for ``Authorization: Token …``
    (knox stores only its digest: this is the one chance to read it)."""
    _instance, key = AuthToken.objects.create(user=user)
    return key
