"""Small helpers that read settings from the environment and fail loudly.

After healthchecks' ``envbool``: a typo in a deployment's environment should
stop the process at start-up, not quietly fall back to a default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name, default, minimum=None):
    """An integer; with ``minimum``, one below it stops the start as well
    (``API_TOKEN_DAYS=0`` must not mean tokens that never expire)."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} is below {minimum}.")
    return number


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_replaced(name, instead):
    """Stop the start when a setting that no longer exists is still set, so
    that a deployment learns what replaced it instead of silently losing it."""
    if name in os.environ:
        raise ImproperlyConfigured(f"{name} is no longer read: {instead}")


def env_networks(name, default):
    """A comma-separated list of IP addresses or networks
    (``127.0.0.1, 10.0.0.0/8``) as ``ipaddress`` networks."""
    import ipaddress

    items = env_list(name, default)
    try:
        return [ipaddress.ip_network(item, strict=False) for item in items]
    except ValueError:
        raise ImproperlyConfigured(f"{name}={','.join(items)!r} is not a list of IP addresses or networks.") from None


def database_from_url(url):
    """Turn ``postgres://user:pass@host:port/name`` into a DATABASES entry."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported; use postgres://.")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
