"""``{% patrol_compliance %}``: each unit's patrols done against its duty in
the current period, for the pages that show the work (the work overview,
the dashboard), in the signed-in user's scope. One tag, so that those pages
need one line each."""

from django import template
from django.utils import timezone

from supervision.patrols import compliance, duties_visible_to

register = template.Library()


@register.inclusion_tag("supervision/_compliance.html", takes_context=True)
def patrol_compliance(context):
    user = context["request"].user
    return {"rows": compliance(duties_visible_to(user), timezone.localdate())}


@register.simple_tag(takes_context=True)
def supervision_nav(context):
    """Whether the signed-in user has the supervision pages (every role)."""
    return getattr(context["request"].user, "role", None) is not None
