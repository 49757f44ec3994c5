"""Patrols (巡查, DESIGN §8): starting one, its track arriving in batches,
finishing it, the wells it passed within 50 m and what was found at each,
and each unit's compliance with its patrol duty.

A finding is an inspection of the well recorded through the well's door
(:func:`wells.changes.record_inspection`), which reactivates an accepted
well found in use through :func:`wells.workflow.perform`; a finding of
reuse or damage also opens a ticket."""

import datetime
import math
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.choices import Role
from supervision.choices import PASSING_DISTANCE_M, PATROLLED_STATUSES, Frequency, PatrolState
from supervision.models import Patrol, PatrolDuty, PatrolPoint, PatrolRule, PatrolWell
from supervision.workflow import TicketError
from wells.changes import actor_name, record_inspection
from wells.choices import InspectionResult
from wells.models import CHINA_LAT, CHINA_LNG, Campaign, Well
from wells.scope import campaigns_reached_by

# Who patrols: the township officers, for their own unit.
PATROLLING_ROLES = frozenset({Role.TOWNSHIP_OFFICER})
# The most points one batch may carry (a phone sends every few seconds).
POINTS_PER_BATCH = 500
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=2)
# A patrol's start may be given as at most this long ago (recorded offline).
LONGEST_PATROL = datetime.timedelta(hours=24)
EARTH_RADIUS_M = 6_371_008.8


class PatrolError(TicketError):
    """A patrol request was refused (a ``WorkflowError``: the API answers it)."""


def rule_of(campaign):
    """The campaign's minimums, or the defaults (15 minutes, 1 km)."""
    try:
        return campaign.patrol_rule
    except PatrolRule.DoesNotExist:
        return PatrolRule(campaign=campaign)


# Geometry -------------------------------------------------------------------


def metres_between(a, b):
    """The great-circle distance between two (lat, lng) points, in metres."""
    lat1, lng1, lat2, lng2 = map(math.radians, (float(a[0]), float(a[1]), float(b[0]), float(b[1])))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def track_length(points):
    """The length of a track of (lat, lng) points, in metres."""
    return sum(metres_between(a, b) for a, b in zip(points, points[1:], strict=False))


def distance_to_track(point, track):
    """The shortest distance from ``point`` to the polyline ``track``, in
    metres: each segment in a local flat projection around the point (exact
    enough over a patrol's few hundred metres per segment)."""
    lat0 = math.radians(float(point[0]))

    def xy(p):
        return (
            math.radians(float(p[1]) - float(point[1])) * math.cos(lat0) * EARTH_RADIUS_M,
            math.radians(float(p[0]) - float(point[0])) * EARTH_RADIUS_M,
        )

    projected = [xy(p) for p in track]
    if len(projected) == 1:
        return math.hypot(*projected[0])
    best = math.inf
    for (ax, ay), (bx, by) in zip(projected, projected[1:], strict=False):
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def wells_near_track(wells, track, within=PASSING_DISTANCE_M):
    """``[(well, metres)]`` of the located ``wells`` within ``within`` metres
    of ``track``: the database keeps those inside the track's bounding box
    (widened by the distance), then each is measured."""
    if not track:
        return []
    lats = [float(p[0]) for p in track]
    lngs = [float(p[1]) for p in track]
    margin_lat = within / 111_000
    margin_lng = within / (111_000 * max(0.1, math.cos(math.radians(max(abs(min(lats)), abs(max(lats)))))))
    candidates = wells.filter(
        lat__gte=min(lats) - margin_lat,
        lat__lte=max(lats) + margin_lat,
        lng__gte=min(lngs) - margin_lng,
        lng__lte=max(lngs) + margin_lng,
    )
    found = []
    for well in candidates:
        metres = distance_to_track((well.lat, well.lng), track)
        if metres <= within:
            found.append((well, round(metres)))
    return sorted(found, key=lambda pair: (pair[1], pair[0].code))


# The patrol's steps -------------------------------------------------------------


def start_patrol(*, actor, started_at=None, campaign=None):
    """Start a patrol of the actor's unit (a township officer). ``started_at``
    is the phone's time of the start (a patrol begun without signal), at
    most a day ago and not in the future; by default now."""
    if getattr(actor, "role", None) not in PATROLLING_ROLES or not actor.unit_id:
        raise PatrolError(_("Only a township officer patrols, for their own unit."), code=PatrolError.FORBIDDEN)
    now = timezone.now()
    started_at = _read_time(started_at, "started_at", _("start time")) if started_at else now
    if not now - LONGEST_PATROL <= started_at <= now + CLOCK_SKEW:
        raise PatrolError(_("The start time must lie within the last 24 hours."), field="started_at")
    if campaign is None:
        duty = PatrolDuty.objects.filter(unit_id=actor.unit_id).select_related("campaign").first()
        campaign = duty.campaign if duty else Campaign.objects.first()
    if campaign is None:
        raise PatrolError(_("There is no campaign to patrol for."))
    return Patrol.objects.create(
        campaign=campaign,
        unit_id=actor.unit_id,
        patroller=actor,
        patroller_name=actor_name(actor),
        started_at=min(started_at, now),
    )


def _locked_patrol(patrol, actor):
    with_scope = Patrol.objects.visible_to(actor).select_for_update()
    try:
        locked = with_scope.get(pk=patrol.pk)
    except Patrol.DoesNotExist:
        raise PatrolError(_("No such patrol."), code=PatrolError.NOT_FOUND) from None
    if locked.patroller_id != actor.pk:
        raise PatrolError(_("Only the patroller records this patrol."), code=PatrolError.FORBIDDEN)
    return locked


def add_points(patrol, points, *, actor):
    """Add a batch of points ``[{"lat", "lng", "at", "accuracy"?}]`` to an
    under-way patrol and bring its length and duration up to date. A point
    sent twice (the same time) is kept once, so a batch resent after a lost
    answer changes nothing. Returns (the patrol, how many were new)."""
    if not isinstance(points, list) or not points:
        raise PatrolError(_("Send the points as a non-empty list."), field="points")
    if len(points) > POINTS_PER_BATCH:
        raise PatrolError(_("At most %(limit)s points per batch.") % {"limit": POINTS_PER_BATCH}, field="points")
    with transaction.atomic():
        locked = _locked_patrol(patrol, actor)
        if locked.state != PatrolState.UNDER_WAY:
            raise PatrolError(_("This patrol is finished: it takes no more points."))
        now = timezone.now()
        fresh = {}
        for number, raw in enumerate(points, start=1):
            point = _read_point(raw, number)
            if not locked.started_at - CLOCK_SKEW <= point.at <= now + CLOCK_SKEW:
                raise PatrolError(
                    _("Point %(number)s was taken outside the patrol's time.") % {"number": number}, field="points"
                )
            point.patrol = locked
            fresh[point.at] = point
        known = set(PatrolPoint.objects.filter(patrol=locked, at__in=list(fresh)).values_list("at", flat=True))
        new = [point for at, point in fresh.items() if at not in known]
        PatrolPoint.objects.bulk_create(new)
        _measure(locked)
        locked.save(update_fields=["length_m", "duration_s"])
    return locked, len(new)


def track_of(patrol):
    """The patrol's track, ``[(lat, lng, at)]`` in time order."""
    return list(PatrolPoint.objects.filter(patrol=patrol).order_by("at").values_list("lat", "lng", "at"))


def _measure(patrol, *, until=None):
    track = track_of(patrol)
    patrol.length_m = round(track_length([(lat, lng) for lat, lng, _at in track]))
    end = until or (track[-1][2] if track else patrol.started_at)
    patrol.duration_s = max(0, int((end - patrol.started_at).total_seconds()))
    return track


def finish_patrol(patrol, *, actor, finished_at=None, note=""):
    """Finish the patrol: its length and duration, whether it meets the
    campaign's minimums, and the patrolled wells in the actor's scope that
    its track passed within 50 m."""
    with transaction.atomic():
        locked = _locked_patrol(patrol, actor)
        if locked.state != PatrolState.UNDER_WAY:
            raise PatrolError(_("This patrol is already finished."))
        now = timezone.now()
        finished_at = _read_time(finished_at, "finished_at", _("finish time")) if finished_at else now
        if not locked.started_at <= finished_at <= now + CLOCK_SKEW:
            raise PatrolError(_("The finish time must lie between the start and now."), field="finished_at")
        track = _measure(locked, until=finished_at)
        rule = rule_of(locked.campaign)
        locked.finished_at = finished_at
        locked.state = PatrolState.FINISHED
        locked.counts = locked.duration_s >= rule.min_minutes * 60 and locked.length_m >= rule.min_metres
        locked.note = str(note or "")[:2000]
        locked.save()
        wells = Well.objects.visible_to(actor).filter(status__in=PATROLLED_STATUSES)
        passed = wells_near_track(wells, [(lat, lng) for lat, lng, _at in track])
        PatrolWell.objects.bulk_create(
            [PatrolWell(patrol=locked, well=well, distance_m=metres) for well, metres in passed]
        )
    return locked


def record_finding(patrol, well_code, *, actor, result, note="", deadline=None, version=None):
    """What the patroller found at a well the patrol passed: an inspection
    of the well through its door (an accepted well in use is reactivated,
    with the ``deadline`` of its next closure), and a ticket for reuse or
    damage. Returns the :class:`PatrolWell`."""
    if result not in InspectionResult.values:
        raise PatrolError(_("Choose what was found: intact, in use or damaged."), field="result")
    with transaction.atomic():
        locked = _locked_patrol(patrol, actor)
        if locked.state != PatrolState.FINISHED:
            raise PatrolError(_("Finish the patrol before recording what was found at its wells."))
        try:
            passed = (
                PatrolWell.objects.select_for_update().select_related("well").get(patrol=locked, well__code=well_code)
            )
        except PatrolWell.DoesNotExist:
            raise PatrolError(_("This patrol did not pass that well."), field="well") from None
        if passed.inspection_id is not None:
            raise PatrolError(_("What was found at this well is already recorded."), field="well")
        well = passed.well
        values = {
            "inspected_on": timezone.localdate(locked.finished_at),
            "result": result,
            "lat": well.lat,
            "lng": well.lng,
            "note": str(note or "")[:2000],
        }
        # A finding of reuse or damage opens its patrol ticket through the
        # inspection's hook (supervision.workflow.ticket_from_inspection).
        inspection = record_inspection(
            well, actor=actor, values=values, version=version, deadline=deadline, origin=locked
        )
        passed.result = result
        passed.inspection = inspection
        passed.save(update_fields=["result", "inspection"])
    return passed


# Compliance ---------------------------------------------------------------------


def period_of(day, frequency):
    """The (first day, last day) of the duty period holding ``day``."""
    first_of_month = day.replace(day=1)
    next_month = (first_of_month + datetime.timedelta(days=32)).replace(day=1)
    last_of_month = next_month - datetime.timedelta(days=1)
    if frequency == Frequency.HALF_MONTHLY:
        if day.day <= 15:
            return first_of_month, day.replace(day=15)
        return day.replace(day=16), last_of_month
    return first_of_month, last_of_month


def compliance(duties, as_of):
    """For each duty, its current period (holding ``as_of``) with the
    patrols done that count and the patrols required: one query for the
    duties and one for the counts, whatever their number."""
    duties = list(duties.select_related("unit", "campaign"))
    rows = []
    if not duties:
        return rows
    periods = {duty.pk: period_of(as_of, duty.frequency) for duty in duties}
    earliest = min(first for first, _last in periods.values())
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(earliest, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    # Counted per unit, campaign and day, so that each duty sums its own period.
    done = {}
    counted = (
        Patrol.objects.filter(counts=True, finished_at__gte=since, finished_at__lt=until)
        .filter(Q(unit__in=[d.unit_id for d in duties]))
        .values_list("unit_id", "campaign_id", "finished_at")
    )
    for unit_id, campaign_id, finished_at in counted:
        done.setdefault((unit_id, campaign_id), []).append(timezone.localdate(finished_at, tz))
    for duty in duties:
        first, last = periods[duty.pk]
        days = done.get((duty.unit_id, duty.campaign_id), [])
        count = sum(1 for day in days if first <= day <= last)
        rows.append(
            {
                "duty": duty,
                "unit": duty.unit,
                "campaign": duty.campaign,
                "first": first,
                "last": last,
                "done": count,
                "required": duty.times,
                "met": count >= duty.times,
            }
        )
    return rows


def duties_visible_to(user):
    """The patrol duties whose compliance ``user`` sees: those of the
    campaigns of their bureau's subtree for the bureau and leaders, their own unit's for the others."""
    duties = PatrolDuty.objects.all()
    if getattr(user, "role", None) is None:
        return duties.none()
    if user.reads_bureau_subtree:
        return duties.filter(campaign__in=campaigns_reached_by(user))
    return duties.filter(unit_id=user.unit_id) if user.unit_id else duties.none()


# Readers ----------------------------------------------------------------------


def _read_time(value, name, label):
    try:
        parsed = value if isinstance(value, datetime.datetime) else parse_datetime(str(value or ""))
    except ValueError:  # the shape of a time, but no such time (2023-02-30T…)
        parsed = None
    if parsed is None:
        raise PatrolError(
            _("The %(field)s must be a time written as ISO 8601 (2023-06-15T10:00:00+08:00).") % {"field": label},
            field=name,
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _read_point(raw, number):
    if not isinstance(raw, dict):
        raise PatrolError(_("Point %(number)s is not an object.") % {"number": number}, field="points")
    try:
        lat = Decimal(str(raw.get("lat"))).quantize(Decimal("0.000001"))
        lng = Decimal(str(raw.get("lng"))).quantize(Decimal("0.000001"))
        if not (lat.is_finite() and lng.is_finite()):
            raise ValueError(raw)
    except (InvalidOperation, ValueError):
        raise PatrolError(
            _("Point %(number)s needs a latitude and a longitude.") % {"number": number}, field="points"
        ) from None
    if not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]):
        raise PatrolError(_("Point %(number)s lies outside China.") % {"number": number}, field="points")
    at = _read_time(raw.get("at"), "points", _("time of point %(number)s") % {"number": number})
    accuracy = raw.get("accuracy")
    try:
        accuracy = None if accuracy in (None, "") else max(0, min(100_000, round(float(accuracy))))
    except (TypeError, ValueError, OverflowError):
        accuracy = None
    return PatrolPoint(lat=lat, lng=lng, at=at, accuracy_m=accuracy)
