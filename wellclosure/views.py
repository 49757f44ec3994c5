"""The site's root: each role's home page. It lives with the project, not
in an app, because it names pages of every app (accounts may not import
wells or tasks)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.choices import Role

ROLE_HOMES = {
    Role.BUREAU_ADMIN: "wells:ledger",
    Role.BUREAU_STAFF: "wells:ledger",
    Role.TOWNSHIP_OFFICER: "wells:mine",
    Role.UNIT_MEMBER: "tasks:mine",
    Role.LEADER: "wells:dashboard",
}


@require_GET
@login_required
def home(request):
    """Send each role to its home page; a user without a role learns why
    there is nothing to see."""
    home_page = ROLE_HOMES.get(request.user.role)
    if home_page is None:
        return render(request, "no_role.html", status=403)
    return redirect(home_page)
