"""``{% patrol_compliance %}``: each unit's patrols done against its duty in
the current period, for the pages that show the work (the work overview,
the dashboard), in the signed-in user's scope. One tag, so that those pages
need one line each."""

from django import template
from django.utils import timezone

from supervision.models import Patrol, PatrolPoint, PatrolWell, Ticket
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


# The patrols shown on a well's page, newest first.
WELL_PATROLS_SHOWN = 5


@register.inclusion_tag("supervision/_well_supervision.html", takes_context=True)
def well_supervision(context, well):
    """On a well's page: the last patrols that passed it, their tracks drawn
    on a map with the well, and the tickets about it — those the signed-in
    user may see. Three queries."""
    user = context["request"].user
    passed = list(
        PatrolWell.objects.filter(well=well, patrol__in=Patrol.objects.visible_to(user))
        .select_related("patrol")
        .order_by("-patrol__started_at")[:WELL_PATROLS_SHOWN]
    )
    tracks = {}
    for patrol_id, lat, lng in (
        PatrolPoint.objects.filter(patrol_id__in=[p.patrol_id for p in passed])
        .order_by("patrol_id", "at")
        .values_list("patrol_id", "lat", "lng")
    ):
        tracks.setdefault(patrol_id, []).append([float(lat), float(lng)])
    located = well.lat is not None and well.lng is not None
    return {
        "well": well,
        "passed": passed,
        "tickets": list(Ticket.objects.visible_to(user).filter(well=well).order_by("-created_at")[:10]),
        "map_data": {
            "tracks": [tracks.get(p.patrol_id, []) for p in passed],
            "wells": [{"code": well.code, "lat": float(well.lat), "lng": float(well.lng), "result": ""}]
            if located
            else [],
        },
    }
