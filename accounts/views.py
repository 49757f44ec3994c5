"""Signing in and out, changing one's password and ending one's API tokens,
with Django's own views on the site's templates. After signing in,
``LOGIN_REDIRECT_URL`` (the site's root) sends each role to its home page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import ApiToken
from accounts.tokens import live_tokens


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("accounts:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """The password form, and below it the user's own API tokens (each by
    the start of its key, when it was issued and when it expires), each
    with a button that ends it. A new password ends them all."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password-change-done")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "api_tokens": live_tokens(self.request.user)}


@login_required
@require_POST
def end_token(request, key):
    """End one of the signed-in user's own API tokens; another person's, or
    none, is a 404."""
    token = get_object_or_404(ApiToken, user=request.user, token_key=key)
    token.delete()
    messages.success(request, _("The API token %(token)s… is ended.") % {"token": token.short_id})
    return redirect("accounts:password-change")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


def lockout_message():
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return ngettext(
        "Too many failed sign-in attempts for this user from this address. Signing in is locked for "
        "%(minutes)d minute; try again later, or ask the bureau administrator to unlock it.",
        "Too many failed sign-in attempts for this user from this address. Signing in is locked for "
        "%(minutes)d minutes; try again later, or ask the bureau administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


def locked_out(request, original_response=None, credentials=None):
    """What a locked-out sign-in gets (``AXES_LOCKOUT_CALLABLE``): 429 with
    the reason, as JSON from the API and as the login page elsewhere."""
    message = lockout_message()
    request = getattr(request, "_request", request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    form = AuthenticationForm(request, data=None)
    context = {"form": form, "locked_out_message": message, "next": request.POST.get("next", "")}
    return render(request, "accounts/login.html", context, status=429)


def attempted_username(request, credentials):
    """The username a sign-in attempt named, as the lockout records it
    (``AXES_USERNAME_CALLABLE``): at most 150 characters (no username is
    longer; the login forms do not stop a longer one before the attempt is
    recorded) and without NUL characters, which PostgreSQL cannot store."""
    field = settings.AXES_USERNAME_FORM_FIELD
    username = (credentials or {}).get(field)
    if username is None and request is not None:
        request = getattr(request, "_request", request)
        username = request.POST.get(field)
    if not isinstance(username, str):
        return None
    return username.replace("\x00", "")[:150]
