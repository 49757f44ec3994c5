"""Signing in and out, changing one's password and ending one's API tokens,
with Django's own views on the site's templates. After signing in,
``LOGIN_REDIRECT_URL`` (the site's root) sends each role to its home page."""

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.choices import Role
from accounts.forms import EditAccountForm, NewAccountForm, new_password, record
from accounts.models import ApiToken, User, UserChangeKind
from accounts.tokens import live_tokens


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Signing out also clears the phone's copy of the field pages and its
    queue (DESIGN §7): the browser drops this site's caches, storage and
    service worker. The page's script has asked first if anything was
    still waiting to be sent."""

    next_page = reverse_lazy("accounts:login")

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


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


# The bureau administrator's user pages -----------------------------------------------


def _administrator(request):
    if request.user.role != Role.BUREAU_ADMIN:
        raise PermissionDenied


def _managed_user(request, pk):
    """A user the administrator may manage: anyone but a superuser (whom
    only a superuser manages), 404 otherwise."""
    users = User.objects.select_related("unit").prefetch_related("groups")
    if not request.user.is_superuser:
        users = users.filter(is_superuser=False)
    return get_object_or_404(users, pk=pk)


def _locked_usernames(usernames):
    """Those of ``usernames`` that django-axes locks out now."""
    limit = settings.AXES_FAILURE_LIMIT
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(username__in=usernames, failures_since_start__gte=limit, attempt_time__gte=since)
        .values_list("username", flat=True)
        .distinct()
    )


def _change_label(name):
    if name == "role":
        return _("Role")
    if name == "failed_attempts_cleared":
        return _("failed sign-in attempts")
    return str(User._meta.get_field(name).verbose_name)


def _change_value(name, value):
    if name == "role" and value in Role.values:
        return Role(value).label
    if value is True or value is False:
        return _("yes") if value else _("no")
    return value


@require_GET
@login_required
def users(request):
    """Everyone who signs in, by unit, with their role in Chinese, whether
    they are active and whether sign-in is locked; searchable."""
    _administrator(request)
    people = User.objects.select_related("unit").prefetch_related("groups").order_by("unit__name", "username")
    if not request.user.is_superuser:
        people = people.filter(is_superuser=False)
    query = request.GET.get("q", "").strip()[:100].replace("\x00", "")
    if query:
        people = people.filter(
            Q(username__icontains=query) | Q(display_name__icontains=query) | Q(unit__name__icontains=query)
        )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    locked = _locked_usernames([person.username for person in page.object_list])
    labels = dict(Role.choices)
    for person in page.object_list:
        person.role_label = "、".join(str(labels[g.name]) for g in person.groups.all() if g.name in labels) or "—"
        person.locked = person.username in locked
    return render(request, "accounts/users.html", {"page": page, "people": page.object_list, "query": query})


@require_http_methods(["GET", "POST"])
@login_required
def user_new(request):
    """Create an account: a name, one role, a unit. Its password is shown
    once, on the page that answers, and stored nowhere readable."""
    _administrator(request)
    form = NewAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user, password = form.create(request.user)
        return render(request, "accounts/password_shown.html", {"person": user, "password": password, "new": True})
    return render(request, "accounts/user_form.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def user_detail(request, pk):
    """One account: change its name, role and unit; reset its password,
    unlock its sign-in, deactivate or reactivate it; and its history."""
    _administrator(request)
    person = _managed_user(request, pk)
    form = EditAccountForm(request.POST if request.method == "POST" else None, instance=person)
    if request.method == "POST" and form.is_valid():
        form.update(request.user)
        messages.success(request, _("The account of %(user)s is saved.") % {"user": person.username})
        return redirect("accounts:user", pk=person.pk)
    changes = list(person.changes.all()[:50])
    for change in changes:
        change.rows = [
            (_change_label(name), *(_change_value(name, v) for v in values)) for name, values in change.changes.items()
        ]
    context = {
        "person": person,
        "form": form,
        "locked": bool(_locked_usernames([person.username])),
        "changes": changes,
    }
    return render(request, "accounts/user_detail.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def user_password(request, pk):
    """A new password for the account, shown once; the old one and every
    API token of the account stop working."""
    _administrator(request)
    person = _managed_user(request, pk)
    password = new_password()
    with transaction.atomic():
        person.set_password(password)
        person.save(update_fields=["password"])
        record(person, request.user, UserChangeKind.PASSWORD)
    return render(request, "accounts/password_shown.html", {"person": person, "password": password, "new": False})


@require_POST
@login_required
def user_unlock(request, pk):
    """Lift django-axes' lockout of the account (every address)."""
    _administrator(request)
    person = _managed_user(request, pk)
    with transaction.atomic():
        cleared = axes_reset(username=person.username)
        record(person, request.user, UserChangeKind.UNLOCK, {"failed_attempts_cleared": [cleared, 0]})
    messages.success(request, _("%(user)s can sign in again.") % {"user": person.username})
    return redirect("accounts:user", pk=person.pk)


@require_POST
@login_required
def user_active(request, pk):
    """Deactivate an account (it can no longer sign in, its history stays)
    or reactivate it. An administrator does not deactivate themselves."""
    _administrator(request)
    person = _managed_user(request, pk)
    active = request.POST.get("active") == "1"
    if person.pk == request.user.pk and not active:
        messages.error(request, _("You cannot deactivate your own account."))
        return redirect("accounts:user", pk=person.pk)
    if person.is_active != active:
        with transaction.atomic():
            person.is_active = active
            person.save(update_fields=["is_active"])
            kind = UserChangeKind.ACTIVATE if active else UserChangeKind.DEACTIVATE
            record(person, request.user, kind, {"is_active": [not active, active]})
            if not active:
                ApiToken.objects.filter(user=person).delete()
    messages.success(
        request,
        (_("%(user)s is active again.") if active else _("%(user)s is deactivated.")) % {"user": person.username},
    )
    return redirect("accounts:user", pk=person.pk)
