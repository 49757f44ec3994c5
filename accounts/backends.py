"""The sign-in lockout: its authentication backend, and the client address
it counts attempts by."""

import ipaddress

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from ipware import get_client_ip


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every sign-in that comes with a
    request (the login pages, the API token endpoint). A call without one
    (a management command, a shell) has no client address to lock out, so
    it is left to the next backend rather than refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def from_trusted_proxy(address):
    """Whether the connection comes from one of ``TRUSTED_PROXY_ADDRESSES``."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:127.0.0.1 when gunicorn listens on [::]
    return any(ip in network for network in settings.TRUSTED_PROXY_ADDRESSES if ip.version == network.version)


def client_address(request):
    """The address a sign-in attempt came from (``AXES_CLIENT_IP_CALLABLE``).

    Reached directly (``TRUSTED_PROXY_COUNT`` 0) it is the connection's own,
    ``REMOTE_ADDR``, and no header counts. Behind N trusted proxies it is
    the address the outermost one saw: the Nth entry of X-Forwarded-For
    from the right (each proxy appends the address it was reached from), as
    django-ipware reads it; the entries before it are whatever the client
    sent, and count for nothing. The header is believed only from a
    connection that comes from a trusted proxy (``TRUSTED_PROXY_ADDRESSES``),
    so a client that reaches gunicorn around the proxy is still known by
    its own address, whatever it writes in the header."""
    request = getattr(request, "_request", request)  # a DRF request wraps Django's
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if not count or not from_trusted_proxy(remote):
        return remote
    # ipware counts the proxies named in the header; the last proxy is not
    # named there, it is the connection itself. Not strict: a chain longer
    # than the proxies' (a client's forged entries in front) is still read
    # from the right.
    address, _routable = get_client_ip(
        request, proxy_count=count - 1, request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False
    )
    return address or remote
