"""The sign-in lockout's authentication backend."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every sign-in that comes with a
    request (the login pages, the API token endpoint). A call without one
    (a management command, a shell) has no client address to lock out, so
    it is left to the next backend rather than refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
