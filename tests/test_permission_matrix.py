"""Who may do what, proven over every address of the site: every role
(and an anonymous visitor) × every URL pattern (the API, the pages, the
admin) × an object inside and one outside the role's scope × every method
the address takes, against the status written in :data:`MATRIX`.

The matrix is the permission table of DESIGN §4 made executable. It must
name every URL pattern the site has: a new endpoint without an entry fails
:func:`test_every_url_pattern_has_an_entry_in_the_matrix`. The table is
kept in ``docs/permission-matrix.md``, which a test compares with the
matrix; ``UPDATE_DOCS=1 pytest tests/test_permission_matrix.py`` rewrites
it (and ``pytest -s`` prints it).

Scopes: "in" is an object the role reaches, "out" one it does not (for the
township officer and the member unit a well of another township without
their task; the bureau and leaders see everything, so both are in scope for
them). A cell ``200|404`` reads "200 in scope, 404 out of it". Each request
runs in a savepoint that is rolled back, so one role's write never changes
what the next role sees.

Writes send a body chosen to show the permission, not the validation: a
role that may write gets 200/201 (or 400 for an empty body where a valid
one needs more setup than the check is worth), a role that may not gets 403,
an object out of scope 404, an anonymous API client 401, and an anonymous
page visitor a redirect to the login page (302)."""

import dataclasses
import datetime
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import ApiToken
from meters.models import EmergencyUse, UseCoefficient, WellCoefficient
from tasks.choices import NotificationKind, PublicityKind, Step
from tasks.models import CampaignSettings, Duty, MonitoringWell, Notification, PublicityRecord, Task
from tests.api.helpers import png_bytes
from tests.factories import UserFactory
from tests.tokens import token_for
from wells.choices import Action, AttachmentKind, InspectionResult, Status
from wells.models import Inspection, Phase, WellEvent
from wells.uploads import store_attachment

pytestmark = pytest.mark.usefixtures("clock")

ROLES = ("bureau_admin", "bureau_staff", "township_officer", "unit_member", "leader", "anonymous")
PERSONAS = {
    "bureau_admin": "admin_user",
    "bureau_staff": "staff",
    "township_officer": "officer",
    "unit_member": "member",
    "leader": "leader",
}
SCOPES = ("in", "out")
DOC = Path(settings.BASE_DIR) / "docs" / "permission-matrix.md"
PASSWORD = "test-pass-2022"


def R(admin, staff, officer, member, leader, anonymous):
    """One method's expected status per role, in the order of ROLES. A
    value ``(in, out)`` differs by scope."""
    return dict(zip(ROLES, (admin, staff, officer, member, leader, anonymous), strict=True))


def scoped(inside, outside):
    return (inside, outside)


# The world ------------------------------------------------------------------


@dataclasses.dataclass
class World:
    """The objects every cell is tried on, in and out of each role's scope."""

    users: dict
    wells: dict
    tasks: dict
    attachments: dict
    inspections: dict
    events: dict
    notifications: dict
    tokens: dict
    campaign: object
    phase: object
    unit: object
    township: object
    objects: dict

    def user(self, role):
        return self.users.get(role)

    def version(self, scope):
        return self.wells[scope].version


@pytest.fixture
def world(admin_user, staff, officer, member, leader, well, other_well, campaign, grid_unit, zhongshan):
    users = {
        "bureau_admin": admin_user,
        "bureau_staff": staff,
        "township_officer": officer,
        "unit_member": member,
        "leader": leader,
    }
    wells = {"in": well, "out": other_well}
    # The grid company holds a task on the 中山路 well only: that well is in
    # the member's scope, the 宁边路 well is not.
    tasks = {
        "in": Task.objects.create(well=well, unit=grid_unit, step=Step.DISCONNECT, due_on=datetime.date(2023, 7, 1)),
        "out": Task.objects.create(
            well=other_well, unit=other_well.responsible_unit, step=Step.NOTIFY, due_on=datetime.date(2023, 7, 1)
        ),
    }
    # The grid company's duty in the campaign, as the plan's 附件1 names it:
    # whoever reads the campaign reads the unit (Unit.objects.visible_to).
    Duty.objects.create(campaign=campaign, step=Step.DISCONNECT, unit=grid_unit)
    attachments, inspections, events = {}, {}, {}
    for scope, each in wells.items():
        upload = SimpleUploadedFile("照片.png", png_bytes(), content_type="image/png")
        attachments[scope] = store_attachment(well=each, kind=AttachmentKind.PHOTO, upload=upload, uploaded_by=staff)
        inspections[scope] = Inspection.objects.create(
            well=each,
            inspected_on=datetime.date(2023, 6, 1),
            inspector=staff,
            inspector_name="巡查员",
            result=InspectionResult.INTACT,
        )
        # An event row for the admin's history pages; the well itself stays
        # inventoried so that the transitions below can serve a notice.
        events[scope] = WellEvent.objects.create(
            well=each,
            action=Action.NOTIFY,
            from_status=Status.INVENTORIED,
            to_status=Status.NOTIFIED,
            actor=staff,
            actor_name=str(staff),
        )
    stranger = UserFactory(username="stranger")
    notifications = {}
    for role, user in [*users.items(), ("stranger", stranger)]:
        notifications[role] = Notification.objects.create(
            recipient=user,
            task=tasks["in"],
            kind=NotificationKind.DUE_SOON,
            message="到期提醒",
            sent_on=datetime.date(2023, 6, 15),
        )
    # Each person's own API token, and a stranger's (out of everyone's scope).
    tokens = {role: ApiToken.objects.create(user=user)[0] for role, user in [*users.items(), ("stranger", stranger)]}
    phase = Phase.objects.create(campaign=campaign, order=1, name="体系建立", deadline=datetime.date(2022, 4, 30))
    monitoring_well = MonitoringWell.objects.create(code="JC-1", name="监测井1", township=zhongshan)
    lockout = {"username": "stranger", "ip_address": "10.0.0.9", "user_agent": "test", "path_info": "/accounts/login/"}
    objects = {
        "auth.group": Group.objects.get(name=Role.LEADER),
        "axes.accessattempt": AccessAttempt.objects.create(
            **lockout, get_data="", post_data="", failures_since_start=5
        ),
        "axes.accesslog": AccessLog.objects.create(**lockout),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**lockout),
        # The token admin names a token by its user and the start of its key.
        "accounts.apitoken": tokens["stranger"],
        "accounts.unit": grid_unit,
        "accounts.user": member,
        "wells.township": zhongshan,
        "wells.campaign": campaign,
        "tasks.duty": Duty.objects.create(campaign=campaign, step=Step.SEAL, days_before_deadline=30),
        "tasks.campaignsettings": CampaignSettings.objects.create(campaign=campaign),
        "tasks.publicityrecord": PublicityRecord.objects.create(
            campaign=campaign, unit=grid_unit, kind=PublicityKind.POST, count=3, held_on=datetime.date(2023, 5, 1)
        ),
        "tasks.monitoringwell": monitoring_well,
        "meters.usecoefficient": UseCoefficient.objects.get(use="irrigation"),
        "meters.wellcoefficient": WellCoefficient.objects.create(well=well, m3_per_kwh="2.80"),
        "meters.emergencyuse": EmergencyUse.objects.create(
            well=well,
            reason="管网检修",
            starts_on=datetime.date(2023, 6, 1),
            ends_on=datetime.date(2023, 6, 3),
            approved_by="市水利局",
        ),
    }
    return World(
        users=users,
        wells=wells,
        tasks=tasks,
        attachments=attachments,
        inspections=inspections,
        events=events,
        notifications=notifications,
        tokens=tokens,
        campaign=campaign,
        phase=phase,
        unit=grid_unit,
        township=zhongshan,
        objects=objects,
    )


# Entries ----------------------------------------------------------------------


@dataclasses.dataclass
class Entry:
    """How to call one URL pattern and what each role gets for each method.

    ``path(world, scope, role)`` gives the address; ``body(world, scope,
    role, method)`` the request's data (a dict sent as JSON to the API,
    as a form to pages, or ``("multipart", dict)``); ``api`` entries send
    the role's token, the others sign in with a session."""

    path: Callable
    expect: dict
    body: Callable | None = None
    api: bool = True
    scoped: bool = False

    def scopes(self):
        return SCOPES if self.scoped else ("in",)


def api(name, kwargs=None):
    """A path function for the API endpoint ``name``; ``kwargs(world,
    scope, role)`` gives its URL arguments."""
    return lambda world, scope, role: reverse(f"api:{name}", kwargs=kwargs(world, scope, role) if kwargs else None)


def page(name, kwargs=None, query=""):
    return lambda world, scope, role: reverse(name, kwargs=kwargs(world, scope, role) if kwargs else None) + query


def well_code(world, scope, role):
    return {"code": world.wells[scope].code}


def notice(world, scope, role, method):
    return {
        "action": "notify",
        "version": world.version(scope),
        "notice_no": "昌水通〔2023〕15号",
        "served_on": "2023-06-01",
        "comply_by": "2023-06-30",
    }


def archive_body(world, scope, role, method):
    return {"version": world.version(scope), "reason": "重复登记"}


def new_well(world, scope, role, method):
    return {
        "code": "NEW-0001",
        "owner_name": "新取水户",
        "owner_kind": "person",
        "township": world.township.code,
        "uses": ["irrigation"],
        "responsible_unit": world.wells["in"].responsible_unit_id,
        "campaign": world.campaign.pk,
        "category": "unlicensed",
    }


def photo_upload(world, scope, role, method):
    return ("multipart", {"kind": "photo", "file": SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")})


def inspection_body(world, scope, role, method):
    return {"well": world.wells[scope].code, "inspected_on": "2023-06-10", "result": "intact"}


def publicity_body(world, scope, role, method):
    # In scope: the writer's own unit; out: a unit not theirs.
    user = world.user(role)
    unit = (user.unit_id if user else world.unit.pk) if scope == "in" else world.wells["out"].responsible_unit_id
    return {"campaign": world.campaign.pk, "unit": unit, "kind": "post", "count": 2, "held_on": "2023-06-01"}


def reading_body(world, scope, role, method):
    well = world.objects["tasks.monitoringwell"]
    return {"monitoring_well": well.code, "measured_on": "2023-06-01", "depth_to_water_m": "12.50"}


def token_body(world, scope, role, method):
    user = world.user(role)
    return {"username": user.username if user else "nobody", "password": PASSWORD}


def empty(world, scope, role, method):
    return {}


def no_file(world, scope, role, method):
    return ("multipart", {})


def confirmed(world, scope, role, method):
    # The admin's delete page deletes on a POST that confirms it.
    return {"post": "yes"}


ALL = R(200, 200, 200, 200, 200, 401)
PAGE = R(200, 200, 200, 200, 200, 302)
# Reading one object of a well: the bureau and leaders see every well.
WELL_READ = R(200, 200, scoped(200, 404), scoped(200, 404), 200, 401)
WELL_PAGE = R(200, 200, scoped(200, 404), scoped(200, 404), 200, 302)
BUREAU_PAGE = R(200, 200, 403, 403, 403, 302)

MATRIX = {
    # The API: tokens for scripts (DESIGN §5).
    "api:auth-token": Entry(api("auth-token"), {"POST": R(200, 200, 200, 200, 200, 400)}, body=token_body),
    "api:unit-list": Entry(api("unit-list"), {"GET": ALL}),
    # The units and townships of each one's work: out is the 宁边路 street's
    # government and street, which the 中山路 officer and the grid company
    # have no work in (and, with many bureaus, a neighbour's).
    "api:unit-detail": Entry(
        api("unit-detail", lambda w, s, r: {"pk": w.unit.pk if s == "in" else w.wells["out"].township.government_id}),
        {"GET": R(200, 200, scoped(200, 404), scoped(200, 404), 200, 401)},
        scoped=True,
    ),
    "api:well-list": Entry(
        api("well-list"),
        {"GET": ALL, "POST": R(201, 201, 403, 403, 403, 401)},
        body=new_well,
    ),
    "api:well-detail": Entry(
        api("well-detail", well_code),
        {
            "GET": WELL_READ,
            "PATCH": R(200, 200, scoped(200, 404), scoped(403, 404), 403, 401),
        },
        body=lambda w, s, r, m: {"note": "已核实"},
        scoped=True,
    ),
    "api:well-events": Entry(api("well-events", well_code), {"GET": WELL_READ}, scoped=True),
    "api:well-history": Entry(api("well-history", well_code), {"GET": WELL_READ}, scoped=True),
    "api:well-archive": Entry(
        api("well-archive", well_code),
        {"POST": R(200, 200, scoped(403, 404), scoped(403, 404), 403, 401)},
        body=archive_body,
        scoped=True,
    ),
    # The well is not archived: the bureau's restore is refused as such.
    "api:well-restore": Entry(
        api("well-restore", well_code),
        {"POST": R(400, 400, scoped(403, 404), scoped(403, 404), 403, 401)},
        body=archive_body,
        scoped=True,
    ),
    "api:well-transitions": Entry(
        api("well-transitions", well_code),
        # A member unit may act only through its own tasks' steps.
        {"POST": R(200, 200, scoped(200, 404), scoped(403, 404), 403, 401)},
        body=notice,
        scoped=True,
    ),
    "api:well-attachments": Entry(
        api("well-attachments", well_code),
        {"GET": WELL_READ, "POST": R(201, 201, scoped(201, 404), scoped(201, 404), 403, 401)},
        body=photo_upload,
        scoped=True,
    ),
    "api:well-attachment": Entry(
        api("well-attachment", lambda w, s, r: {"code": w.wells[s].code, "attachment_id": w.attachments[s].pk}),
        {"GET": WELL_READ},
        scoped=True,
    ),
    "api:township-list": Entry(api("township-list"), {"GET": ALL}),
    "api:township-detail": Entry(
        api("township-detail", lambda w, s, r: {"code": w.wells[s].township.code}),
        {"GET": R(200, 200, scoped(200, 404), scoped(200, 404), 200, 401)},
        scoped=True,
    ),
    "api:campaign-list": Entry(api("campaign-list"), {"GET": ALL}),
    "api:campaign-detail": Entry(api("campaign-detail", lambda w, s, r: {"pk": w.campaign.pk}), {"GET": ALL}),
    "api:inspection-list": Entry(
        api("inspection-list"),
        # Naming a well out of scope answers as for a code that does not exist.
        {"GET": ALL, "POST": R(201, 201, scoped(201, 400), 403, 403, 401)},
        body=inspection_body,
        scoped=True,
    ),
    "api:inspection-detail": Entry(
        api("inspection-detail", lambda w, s, r: {"pk": w.inspections[s].pk}), {"GET": WELL_READ}, scoped=True
    ),
    "api:stats-summary": Entry(api("stats-summary"), {"GET": ALL}),
    "api:import-wells": Entry(api("import-wells"), {"POST": R(400, 400, 403, 403, 403, 401)}, body=no_file),
    "api:import-wells-template": Entry(api("import-wells-template"), {"GET": R(200, 200, 403, 403, 403, 401)}),
    "api:import-wells-errors": Entry(
        api("import-wells-errors"), {"POST": R(400, 400, 403, 403, 403, 401)}, body=no_file
    ),
    "api:export-wells": Entry(api("export-wells"), {"GET": ALL}),
    "api:well-notices": Entry(
        lambda w, s, r: reverse("api:well-notices") + f"?code={w.wells[s].code}",
        {"GET": R(200, 200, scoped(200, 404), 403, 403, 401)},
        scoped=True,
    ),
    "api:well-notice": Entry(
        api("well-notice", well_code), {"GET": R(200, 200, scoped(200, 404), 403, 403, 401)}, scoped=True
    ),
    "api:well-acceptance": Entry(
        api("well-acceptance", well_code), {"GET": R(200, 200, scoped(200, 404), 403, 403, 401)}, scoped=True
    ),
    "api:work-report": Entry(api("work-report"), {"GET": R(200, 200, 403, 403, 200, 401)}),
    # 一井一档: who sees the well whole, leaders too; member units never.
    "api:well-dossier": Entry(
        api("well-dossier", well_code), {"GET": R(200, 200, scoped(200, 404), 403, 200, 401)}, scoped=True
    ),
    # The campaign's archive holds what the caller sees (an officer's own wells).
    "api:campaign-archive": Entry(
        api("campaign-archive", lambda w, s, r: {"pk": w.campaign.pk}), {"GET": R(200, 200, 200, 403, 200, 401)}
    ),
    "api:task-list": Entry(api("task-list"), {"GET": ALL}),
    "api:task-overview": Entry(api("task-overview"), {"GET": ALL}),
    "api:task-detail": Entry(
        api("task-detail", lambda w, s, r: {"pk": w.tasks[s].pk}), {"GET": WELL_READ}, scoped=True
    ),
    "api:task-complete": Entry(
        api("task-complete", lambda w, s, r: {"pk": w.tasks[s].pk}),
        # An empty completion: the right to try is proven by the 400.
        {"POST": R(400, 400, scoped(400, 404), scoped(400, 404), 403, 401)},
        body=empty,
        scoped=True,
    ),
    "api:milestone-list": Entry(api("milestone-list"), {"GET": ALL}),
    "api:milestone-detail": Entry(
        api("milestone-detail", lambda w, s, r: {"pk": w.phase.pk}),
        {"PATCH": R(200, 200, 403, 403, 403, 401)},
        body=lambda w, s, r, m: {"completed_on": "2022-04-28"},
    ),
    "api:inspection-due-list": Entry(api("inspection-due-list"), {"GET": ALL}),
    "api:publicity-list": Entry(
        api("publicity-list"),
        {"GET": ALL, "POST": R(201, 201, scoped(201, 400), scoped(201, 400), 403, 401)},
        body=publicity_body,
        scoped=True,
    ),
    "api:monitoring-well-list": Entry(api("monitoring-well-list"), {"GET": ALL}),
    "api:groundwater-reading-list": Entry(
        api("groundwater-reading-list"), {"GET": ALL, "POST": R(201, 201, 403, 403, 403, 401)}, body=reading_body
    ),
    "api:notification-list": Entry(api("notification-list"), {"GET": ALL}),
    "api:notification-mark-read": Entry(api("notification-mark-read"), {"POST": ALL}, body=empty),
    # The schema and its documentation page describe the API, not the data.
    "api:schema": Entry(api("schema"), {"GET": R(200, 200, 200, 200, 200, 200)}),
    "api:docs": Entry(api("docs"), {"GET": R(200, 200, 200, 200, 200, 200)}),
    "api/v1/^.*/$": Entry(lambda w, s, r: "/api/v1/no-such-thing/", {"GET": R(404, 404, 404, 404, 404, 404)}),
    # The pages.
    "home": Entry(page("home"), {"GET": R(302, 302, 302, 302, 302, 302)}, api=False),
    # The installable web app (DESIGN §7): the manifest and the service
    # worker hold no data, for anyone; the queue page is the phone's own.
    "manifest": Entry(page("manifest"), {"GET": R(200, 200, 200, 200, 200, 200)}, api=False),
    "service-worker": Entry(page("service-worker"), {"GET": R(200, 200, 200, 200, 200, 200)}, api=False),
    "offline-queue": Entry(page("offline-queue"), {"GET": PAGE}, api=False),
    "set_language": Entry(
        page("set_language"),
        {"POST": R(302, 302, 302, 302, 302, 302)},
        body=lambda w, s, r, m: {"language": "en"},
        api=False,
    ),
    "accounts:login": Entry(
        page("accounts:login"),
        # A signed-in user is sent on; a wrong password shows the form again.
        {"GET": R(302, 302, 302, 302, 302, 200), "POST": R(302, 302, 302, 302, 302, 200)},
        body=lambda w, s, r, m: {"username": "nobody", "password": "wrong"},
        api=False,
    ),
    "accounts:logout": Entry(page("accounts:logout"), {"POST": R(302, 302, 302, 302, 302, 302)}, body=empty, api=False),
    "accounts:password-change": Entry(
        page("accounts:password-change"), {"GET": PAGE, "POST": PAGE}, body=empty, api=False
    ),
    "accounts:password-change-done": Entry(page("accounts:password-change-done"), {"GET": PAGE}, api=False),
    # Everyone ends their own API tokens on the password page; another
    # person's token is not found.
    "accounts:token-end": Entry(
        lambda w, s, r: reverse(
            "accounts:token-end", args=[w.tokens[r if s == "in" and r in w.users else "stranger"].token_key]
        ),
        {"POST": R(*[scoped(302, 404)] * 5, 302)},
        body=empty,
        api=False,
        scoped=True,
    ),
    "tasks:mine": Entry(page("tasks:mine"), {"GET": PAGE}, api=False),
    "tasks:overview": Entry(page("tasks:overview"), {"GET": R(200, 200, 403, 403, 200, 302)}, api=False),
    "tasks:notifications": Entry(
        page("tasks:notifications"), {"GET": PAGE, "POST": R(302, 302, 302, 302, 302, 302)}, body=empty, api=False
    ),
    "wells:ledger": Entry(page("wells:ledger"), {"GET": PAGE}, api=False),
    "wells:mine": Entry(page("wells:mine"), {"GET": PAGE}, api=False),
    "wells:bulk-notify": Entry(
        page("wells:bulk-notify"),
        # No well of the officer's scope ticked: back to the ledger.
        {"POST": R(200, 200, scoped(200, 302), 403, 403, 302)},
        body=lambda w, s, r, m: {"wells": [w.wells[s].code]},
        api=False,
        scoped=True,
    ),
    "wells:attachment-download": Entry(
        page("wells:attachment-download", lambda w, s, r: {"pk": w.attachments[s].pk}),
        {"GET": WELL_PAGE},
        api=False,
        scoped=True,
    ),
    "wells:well": Entry(page("wells:well", well_code), {"GET": WELL_PAGE}, api=False, scoped=True),
    "wells:action": Entry(
        page("wells:action", lambda w, s, r: {"code": w.wells[s].code, "action": "notify"}),
        # An empty form is refused (400) to those who may serve the notice.
        {
            "GET": R(200, 200, scoped(200, 404), scoped(403, 404), 403, 302),
            "POST": R(400, 400, scoped(400, 404), scoped(403, 404), 403, 302),
        },
        body=empty,
        api=False,
        scoped=True,
    ),
    "wells:inspection": Entry(
        page("wells:inspection", well_code),
        {
            "GET": R(200, 200, scoped(200, 404), scoped(403, 404), 403, 302),
            "POST": R(400, 400, scoped(400, 404), scoped(403, 404), 403, 302),
        },
        body=empty,
        api=False,
        scoped=True,
    ),
    "wells:upload": Entry(
        page("wells:upload", well_code),
        {
            "GET": R(200, 200, scoped(200, 404), scoped(200, 404), 403, 302),
            "POST": R(400, 400, scoped(400, 404), scoped(400, 404), 403, 302),
        },
        body=empty,
        api=False,
        scoped=True,
    ),
    "wells:label": Entry(page("wells:label", well_code), {"GET": WELL_PAGE}, api=False, scoped=True),
    "wells:dashboard": Entry(page("wells:dashboard"), {"GET": PAGE}, api=False),
    # The inventory import: the bureau's. With nothing uploaded yet there is
    # nothing to confirm (back to the upload) and no error workbook (404).
    "wells:import": Entry(page("wells:import"), {"GET": BUREAU_PAGE, "POST": BUREAU_PAGE}, body=empty, api=False),
    "wells:import-confirm": Entry(
        page("wells:import-confirm"), {"POST": R(302, 302, 403, 403, 403, 302)}, body=empty, api=False
    ),
    "wells:import-cancel": Entry(
        page("wells:import-cancel"), {"POST": R(302, 302, 403, 403, 403, 302)}, body=empty, api=False
    ),
    "wells:import-errors": Entry(page("wells:import-errors"), {"GET": R(404, 404, 403, 403, 403, 302)}, api=False),
    "wells:import-preview": Entry(page("wells:import-preview"), {"GET": R(404, 404, 403, 403, 403, 302)}, api=False),
}


# Supervision after closure (issue 17, DESIGN §8) ---------------------------------------
# Its objects are made on first use and kept for the test: an officer's
# patrols (one under way, one finished past the "in" well) and another
# township's; tickets assigned to 中山路 (the officer's "in"), to the grid
# company (the member's "in") and to 宁边路 (everyone's "out"), each with a file.


def supervision_world(world):
    made = world.objects.get("supervision")
    if made is not None:
        return made
    from supervision.files import store_file
    from supervision.models import Patrol, PatrolWell
    from supervision.workflow import open_ticket

    other_officer = UserFactory(
        username="other_officer", unit=world.wells["out"].responsible_unit, role=Role.TOWNSHIP_OFFICER
    )

    def patrol(user, unit, **fields):
        return Patrol.objects.create(
            campaign=world.campaign, unit=unit, patroller=user, patroller_name=str(user), **fields
        )

    officer = world.users["township_officer"]
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=30)
    finished = patrol(officer, officer.unit, started_at=started, finished_at=started, state="finished")
    PatrolWell.objects.create(patrol=finished, well=world.wells["in"], distance_m=10)
    out_finished = patrol(other_officer, other_officer.unit, started_at=started, finished_at=started, state="finished")
    PatrolWell.objects.create(patrol=out_finished, well=world.wells["out"], distance_m=10)
    tickets = {}
    for key, unit in (("in", officer.unit), ("member", world.unit), ("out", other_officer.unit)):
        ticket = open_ticket(source="public", description="有人抽水", lat="44.03", lng="87.28")
        type(ticket).objects.filter(pk=ticket.pk).update(unit=unit, state="assigned", due_on=datetime.date(2023, 7, 1))
        ticket.refresh_from_db()
        upload = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
        tickets[key] = (ticket, store_file(upload, uploaded_by=None, ticket=ticket))
    made = world.objects["supervision"] = {
        "under_way": {
            "in": patrol(officer, officer.unit, started_at=started),
            "out": patrol(other_officer, other_officer.unit, started_at=started),
        },
        "finished": {"in": finished, "out": out_finished},
        "tickets": tickets,
    }
    return made


def _ticket(world, scope, role):
    tickets = supervision_world(world)["tickets"]
    if scope == "out":
        return tickets["out"][0]
    return tickets["member" if role == "unit_member" else "in"][0]


def _ticket_file(world, scope, role):
    tickets = supervision_world(world)["tickets"]
    return tickets["out" if scope == "out" else ("member" if role == "unit_member" else "in")][1]


def _patrol(kind):
    return lambda world, scope, role: {"pk": supervision_world(world)[kind][scope].pk}


def _points(world, scope, role, method):
    at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    return {"points": [{"lat": 44.02, "lng": 87.27, "at": at.isoformat()}]}


def _public_report(world, scope, role, method):
    return ("multipart", {"description": "井房有人抽水", "lat": "44.03", "lng": "87.28"})


PATROLLER = R(403, 403, scoped(200, 404), 404, 403, 401)

MATRIX.update(
    {
        "api:patrol-list": Entry(api("patrol-list"), {"GET": ALL, "POST": R(403, 403, 201, 403, 403, 401)}, body=empty),
        "api:patrol-detail": Entry(
            api("patrol-detail", _patrol("finished")),
            {"GET": R(200, 200, scoped(200, 404), 404, 200, 401)},
            scoped=True,
        ),
        "api:patrol-points": Entry(
            api("patrol-points", _patrol("under_way")), {"POST": PATROLLER}, body=_points, scoped=True
        ),
        "api:patrol-finish": Entry(
            api("patrol-finish", _patrol("under_way")), {"POST": PATROLLER}, body=empty, scoped=True
        ),
        "api:patrol-findings": Entry(
            api("patrol-findings", _patrol("finished")),
            {"POST": PATROLLER},
            body=lambda w, s, r, m: {"well": w.wells[s].code, "result": "intact"},
            scoped=True,
        ),
        "api:ticket-list": Entry(
            api("ticket-list"),
            {"GET": ALL, "POST": R(201, 201, 201, 403, 403, 401)},
            body=lambda w, s, r, m: {"description": "巡查发现井口破损"},
        ),
        "api:ticket-detail": Entry(
            api("ticket-detail", lambda w, s, r: {"pk": _ticket(w, s, r).pk}),
            {"GET": R(200, 200, scoped(200, 404), scoped(200, 404), 200, 401)},
            scoped=True,
        ),
        # A reply to the public is the bureau's; the units see theirs but may not.
        "api:ticket-transitions": Entry(
            api("ticket-transitions", lambda w, s, r: {"pk": _ticket(w, s, r).pk}),
            {"POST": R(200, 200, scoped(403, 404), scoped(403, 404), 403, 401)},
            body=lambda w, s, r, m: {"action": "reply", "version": _ticket(w, s, r).version, "reply": "已受理"},
            scoped=True,
        ),
        "api:ticket-files": Entry(
            api("ticket-files", lambda w, s, r: {"pk": _ticket(w, s, r).pk}),
            {"POST": R(201, 201, scoped(201, 404), scoped(201, 404), 403, 401)},
            body=photo_upload,
            scoped=True,
        ),
        # The public's: no sign-in, every caller alike.
        "api:public-report": Entry(
            api("public-report"), {"POST": R(201, 201, 201, 201, 201, 201)}, body=_public_report
        ),
        "api:public-report-status": Entry(
            api("public-report-status", lambda w, s, r: {"tracking": _ticket(w, "in", "bureau_admin").tracking}),
            {"GET": R(200, 200, 200, 200, 200, 200)},
        ),
        "supervision:patrols": Entry(page("supervision:patrols"), {"GET": PAGE}, api=False),
        "supervision:patrol-start": Entry(
            page("supervision:patrol-start"), {"POST": R(403, 403, 302, 403, 403, 302)}, body=empty, api=False
        ),
        "supervision:patrol": Entry(
            page("supervision:patrol", _patrol("finished")),
            {"GET": R(200, 200, scoped(200, 404), 404, 200, 302)},
            api=False,
            scoped=True,
        ),
        # An empty form: the patroller's right to try is proven by the 400.
        "supervision:patrol-finding": Entry(
            page("supervision:patrol-finding", _patrol("finished")),
            {"POST": R(403, 403, scoped(400, 404), 404, 403, 302)},
            body=empty,
            api=False,
            scoped=True,
        ),
        "supervision:patrol-photos": Entry(
            page("supervision:patrol-photos", _patrol("under_way")),
            {"POST": R(403, 403, scoped(400, 404), 404, 403, 302)},
            body=empty,
            api=False,
            scoped=True,
        ),
        "supervision:tickets": Entry(page("supervision:tickets"), {"GET": PAGE}, api=False),
        # An empty form: the right to open a ticket is proven by the 400.
        "supervision:ticket-new": Entry(
            page("supervision:ticket-new"),
            {"GET": R(200, 200, 200, 403, 403, 302), "POST": R(400, 400, 400, 403, 403, 302)},
            body=empty,
            api=False,
        ),
        "supervision:ticket": Entry(
            page("supervision:ticket", lambda w, s, r: {"pk": _ticket(w, s, r).pk}),
            {"GET": R(200, 200, scoped(200, 404), scoped(200, 404), 200, 302)},
            api=False,
            scoped=True,
        ),
        "supervision:ticket-action": Entry(
            page("supervision:ticket-action", lambda w, s, r: {"pk": _ticket(w, s, r).pk, "action": "reply"}),
            {"POST": R(400, 400, scoped(403, 404), scoped(403, 404), 403, 302)},
            body=empty,
            api=False,
            scoped=True,
        ),
        "supervision:file": Entry(
            page("supervision:file", lambda w, s, r: {"pk": _ticket_file(w, s, r).pk}),
            {"GET": R(200, 200, scoped(200, 404), scoped(200, 404), 200, 302)},
            api=False,
            scoped=True,
        ),
        "supervision:public-report": Entry(
            page("supervision:public-report"),
            {"GET": R(200, 200, 200, 200, 200, 200), "POST": R(400, 400, 400, 400, 400, 400)},
            body=empty,
            api=False,
        ),
        # The meter watch: only the grid company's members post readings
        # (an empty batch is refused for its missing kind); the bureau
        # imports the monthly export (an empty form is refused).
        "api:meter-readings": Entry(api("meter-readings"), {"POST": R(403, 403, 403, 400, 403, 401)}, body=empty),
        "api:well-consumption": Entry(api("well-consumption", well_code), {"GET": WELL_READ}, scoped=True),
        "meters:import": Entry(
            page("meters:import"),
            {"GET": BUREAU_PAGE, "POST": R(400, 400, 403, 403, 403, 302)},
            body=empty,
            api=False,
        ),
        "supervision:public-well": Entry(
            page("supervision:public-well", well_code), {"GET": R(200, 200, 200, 200, 200, 200)}, api=False
        ),
        "supervision:public-tracking": Entry(
            page(
                "supervision:public-tracking", lambda w, s, r: {"tracking": _ticket(w, "in", "bureau_admin").tracking}
            ),
            {"GET": R(200, 200, 200, 200, 200, 200)},
            api=False,
        ),
    }
)


# The admin ------------------------------------------------------------------------

# Every role signs in to the admin (the personas are staff); what each sees
# there is its model permissions: v(iew), a(dd), c(hange), d(elete), per
# role in the order of ROLES without the anonymous visitor.
ADMIN_PERMISSIONS = {
    "auth.group": ("", "", "", "", ""),
    # The sign-in lockout: a bureau administrator unlocks by deleting.
    "axes.accessattempt": ("vd", "", "", "", ""),
    "axes.accesslog": ("v", "", "", "", ""),
    "axes.accessfailurelog": ("v", "", "", "", ""),
    # API tokens: a bureau administrator ends anyone's by deleting it.
    "accounts.apitoken": ("vd", "", "", "", ""),
    "accounts.unit": ("vac", "v", "", "", "v"),
    "accounts.user": ("vac", "", "", "", ""),
    # Wells are archived, never deleted.
    "wells.well": ("vac", "vac", "vc", "v", "v"),
    # The history and the evidence are read-only for everyone.
    "wells.wellevent": ("v", "v", "v", "v", "v"),
    "wells.attachment": ("v", "v", "v", "v", "v"),
    "wells.inspection": ("va", "va", "va", "", "v"),
    "wells.township": ("vac", "v", "v", "", "v"),
    "wells.campaign": ("vac", "v", "v", "", "v"),
    "tasks.duty": ("vacd", "vac", "v", "v", "v"),
    "tasks.campaignsettings": ("vacd", "vac", "v", "v", "v"),
    "tasks.task": ("v", "v", "v", "v", "v"),
    "tasks.notification": ("v", "v", "v", "v", "v"),
    "tasks.publicityrecord": ("vacd", "vac", "v", "v", "v"),
    "tasks.monitoringwell": ("vacd", "vac", "v", "v", "v"),
    # The meter watch: one default coefficient per use (changed, never
    # added or deleted), the wells' own, the approved emergency uses (kept).
    "meters.usecoefficient": ("vc", "v", "", "", "v"),
    "meters.wellcoefficient": ("vacd", "vac", "", "", "v"),
    "meters.emergencyuse": ("vac", "vac", "", "", "v"),
}
# Admins whose objects are scoped like the ledger's: the record of a well
# out of scope (or another person's notification) is a 404.
SCOPED_ADMINS = {"wells.well", "wells.wellevent", "wells.attachment", "wells.inspection", "tasks.task"}
# A role that sees every well has nothing out of scope there.
SEES_ALL = {"bureau_admin", "bureau_staff", "leader"}


def admin_object(world, label, scope, role):
    if label == "tasks.notification":
        return world.notifications[role if scope == "in" and role in world.users else "stranger"]
    scoped_objects = {
        "wells.well": world.wells,
        "wells.wellevent": world.events,
        "wells.attachment": world.attachments,
        "wells.inspection": world.inspections,
        "tasks.task": world.tasks,
    }
    if label in scoped_objects:
        return scoped_objects[label][scope]
    return world.objects[label]


def _out_of_scope(label, scope, role):
    if scope != "out":
        return False
    if label == "tasks.notification":
        return True
    return label in SCOPED_ADMINS and role not in SEES_ALL


def _admin_expectations(label, view):
    """The statuses Django's admin answers for ``view`` of the model
    ``label`` given the permissions above: 403 without the permission, 404
    for an object out of scope (checked first, so nothing leaks)."""
    permissions = dict(zip(ROLES, ADMIN_PERMISSIONS[label], strict=False))

    def status(role, scope, method):
        if role == "anonymous":
            return 302
        held = permissions[role]
        if view in ("change", "history", "delete") and _out_of_scope(label, scope, role):
            return 404
        if view == "changelist":
            return 200 if set(held) & {"v", "c"} else 403
        if view == "add":
            return 200 if "a" in held else 403
        if view == "history":
            return 200 if set(held) & {"v", "c"} else 403
        if view == "change":
            if method == "GET":
                return 200 if set(held) & {"v", "c"} else 403
            return 200 if "c" in held else 403  # an empty form shows its errors
        if view == "delete":
            if "d" not in held:
                return 403
            return 200 if method == "GET" else 302
        raise AssertionError(view)

    methods = {"changelist": ("GET",), "history": ("GET",)}.get(view, ("GET", "POST"))
    return {
        method: {
            role: (status(role, "in", method), status(role, "out", method))
            if status(role, "in", method) != status(role, "out", method)
            else status(role, "in", method)
            for role in ROLES
        }
        for method in methods
    }


def _admin_entries():
    entries = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if label not in ADMIN_PERMISSIONS:
            continue  # reported by the completeness test
        for view in ("changelist", "add", "history", "delete", "change"):

            def path(world, scope, role, view=view, label=label, info=info):
                if view in ("changelist", "add"):
                    return reverse(f"{info}_{view}")
                return reverse(f"{info}_{view}", args=[admin_object(world, label, scope, role).pk])

            entries[f"{info}_{view}"] = Entry(
                path,
                _admin_expectations(label, view),
                body=confirmed if view == "delete" else empty,
                api=False,
                scoped=view not in ("changelist", "add"),
            )

        # The bare object address redirects to its change page, for anyone
        # (the change page then decides).
        def bare(world, scope, role, label=label, info=info):
            change = reverse(f"{info}_change", args=[admin_object(world, label, "in", "bureau_admin").pk])
            return change.removesuffix("change/")

        entries[f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"] = Entry(
            bare, {"GET": R(302, 302, 302, 302, 302, 302)}, api=False
        )
    return entries


ADMIN_ONLY = R(200, 403, 403, 403, 403, 302)
STAFF_PAGE = R(200, 200, 200, 200, 200, 302)

MATRIX.update(_admin_entries())
MATRIX.update(
    {
        "admin:index": Entry(page("admin:index"), {"GET": STAFF_PAGE}, api=False),
        "admin:login": Entry(
            page("admin:login"),
            {"GET": R(302, 302, 302, 302, 302, 200), "POST": R(200, 200, 200, 200, 200, 200)},
            body=lambda w, s, r, m: {"username": "nobody", "password": "wrong"},
            api=False,
        ),
        "admin:logout": Entry(page("admin:logout"), {"POST": R(200, 200, 200, 200, 200, 302)}, body=empty, api=False),
        "admin:password_change": Entry(
            page("admin:password_change"), {"GET": STAFF_PAGE, "POST": STAFF_PAGE}, body=empty, api=False
        ),
        "admin:password_change_done": Entry(page("admin:password_change_done"), {"GET": STAFF_PAGE}, api=False),
        # Without the field it completes, the autocomplete refuses.
        "admin:autocomplete": Entry(page("admin:autocomplete"), {"GET": R(403, 403, 403, 403, 403, 302)}, api=False),
        "admin:jsi18n": Entry(page("admin:jsi18n"), {"GET": STAFF_PAGE}, api=False),
        # Wells have no public address to send anyone to.
        "admin:view_on_site": Entry(
            lambda w, s, r: reverse(
                "admin:view_on_site", args=[ContentType.objects.get_for_model(w.wells[s]).pk, w.wells[s].pk]
            ),
            {"GET": R(404, 404, 404, 404, 404, 302)},
            api=False,
        ),
        # In: the wells app (every role holds one of its permissions);
        # out: accounts, of which officers and member units hold none.
        "admin:app_list": Entry(
            lambda w, s, r: reverse("admin:app_list", args=["wells" if s == "in" else "accounts"]),
            {"GET": R(200, 200, scoped(200, 404), scoped(200, 404), 200, 302)},
            api=False,
            scoped=True,
        ),
        "admin:auth_user_password_change": Entry(
            lambda w, s, r: reverse("admin:auth_user_password_change", args=[w.users["unit_member"].pk]),
            {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
            body=empty,
            api=False,
        ),
        "admin:wells_well_action": Entry(
            lambda w, s, r: reverse("admin:wells_well_action", args=[w.wells[s].pk, "notify"]),
            {
                "GET": R(200, 200, scoped(200, 404), scoped(403, 404), 403, 302),
                "POST": R(200, 200, scoped(200, 404), scoped(403, 404), 403, 302),
            },
            body=empty,
            api=False,
            scoped=True,
        ),
        "admin:wells_well_upload": Entry(
            lambda w, s, r: reverse("admin:wells_well_upload", args=[w.wells[s].pk]),
            {
                "GET": R(200, 200, scoped(200, 404), scoped(200, 404), 403, 302),
                "POST": R(200, 200, scoped(200, 404), scoped(200, 404), 403, 302),
            },
            body=empty,
            api=False,
            scoped=True,
        ),
        "admin/(?P<url>.*)$": Entry(
            lambda w, s, r: "/admin/no-such-page/", {"GET": R(404, 404, 404, 404, 404, 302)}, api=False
        ),
    }
)


# Every role finishes its own work in the browser (issue 20) -------------------------


def supply_task(world, scope, role):
    """The replacement supply's task: on the 中山路 well the grid member's
    unit holds it (so the member may record it, the officer may not); on
    the 宁边路 well the township's own."""
    well = world.wells[scope]
    unit = world.unit if scope == "in" else well.responsible_unit
    task, _created = Task.objects.get_or_create(well=well, step=Step.SUPPLY, defaults={"unit": unit})
    return {"pk": task.pk}


MATRIX.update(
    {
        "tasks:supply": Entry(
            page("tasks:supply", supply_task),
            {
                "GET": R(200, 200, scoped(403, 404), scoped(200, 404), 403, 302),
                # An empty form: refused with its reasons, nothing recorded.
                "POST": R(400, 400, scoped(403, 404), scoped(400, 404), 403, 302),
            },
            body=empty,
            api=False,
            scoped=True,
        ),
        # The bulk power cut asks for its date; no ticked well of the
        # role's scope: back to the ledger.
        "wells:bulk": Entry(
            page("wells:bulk", lambda w, s, r: {"kind": "disconnect"}),
            {"POST": R(200, 200, scoped(200, 302), scoped(200, 302), 403, 302)},
            body=lambda w, s, r, m: {"wells": [w.wells[s].code]},
            api=False,
            scoped=True,
        ),
        "wells:attachment-thumbnail": Entry(
            page("wells:attachment-thumbnail", lambda w, s, r: {"pk": w.attachments[s].pk, "size": "small"}),
            {"GET": WELL_PAGE},
            api=False,
            scoped=True,
        ),
        # The bureau administrator's user pages (an empty form is refused).
        "accounts:users": Entry(page("accounts:users"), {"GET": ADMIN_ONLY}, api=False),
        "accounts:user-new": Entry(
            page("accounts:user-new"),
            {"GET": ADMIN_ONLY, "POST": R(400, 403, 403, 403, 403, 302)},
            body=empty,
            api=False,
        ),
        "accounts:user": Entry(
            page("accounts:user", lambda w, s, r: {"pk": w.users["unit_member"].pk}),
            {"GET": ADMIN_ONLY, "POST": R(400, 403, 403, 403, 403, 302)},
            body=empty,
            api=False,
        ),
        "accounts:user-password": Entry(
            page("accounts:user-password", lambda w, s, r: {"pk": w.users["unit_member"].pk}),
            {"POST": R(200, 403, 403, 403, 403, 302)},
            body=empty,
            api=False,
        ),
        "accounts:user-unlock": Entry(
            page("accounts:user-unlock", lambda w, s, r: {"pk": w.users["unit_member"].pk}),
            {"POST": R(302, 403, 403, 403, 403, 302)},
            body=empty,
            api=False,
        ),
        "accounts:user-active": Entry(
            page("accounts:user-active", lambda w, s, r: {"pk": w.users["unit_member"].pk}),
            {"POST": R(302, 403, 403, 403, 403, 302)},
            body=empty,
            api=False,
        ),
        # Bureau roles and the well's own township; an empty form is refused.
        "wells:facts": Entry(
            page("wells:facts", well_code),
            {
                "GET": R(200, 200, scoped(200, 404), scoped(403, 404), 403, 302),
                "POST": R(400, 400, scoped(400, 404), scoped(403, 404), 403, 302),
            },
            body=empty,
            api=False,
            scoped=True,
        ),
    }
)


# Walking the site's URL patterns ------------------------------------------------------


def url_pattern_keys(patterns=None, prefix="", namespace=None):
    """Every URL pattern of the site, by its name (``namespace:name``) or,
    for a pattern without a name, by its route."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    keys = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            keys |= url_pattern_keys(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                keys.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
            else:
                keys.add(prefix + str(pattern.pattern))
    return keys


def test_every_url_pattern_has_an_entry_in_the_matrix():
    patterns = url_pattern_keys()
    missing = sorted(patterns - MATRIX.keys())
    stale = sorted(MATRIX.keys() - patterns)
    assert not missing, f"URL patterns without an entry in the permission matrix: {missing}"
    assert not stale, f"Matrix entries for URL patterns that no longer exist: {stale}"


def test_every_method_an_api_endpoint_takes_is_in_the_matrix():
    """For the API's views the methods are known: a viewset's route maps
    methods to actions, an APIView has a handler per method."""
    gaps = []

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
                continue
            key = f"{namespace}:{pattern.name}" if namespace and pattern.name else None
            if not key or not key.startswith("api:") or key not in MATRIX:
                continue
            callback = pattern.callback
            if getattr(callback, "actions", None):
                methods = {method.upper() for method in callback.actions}
                view_class = callback.cls
                methods &= {name.upper() for name in view_class.http_method_names}
            elif hasattr(callback, "view_class"):
                view_class = callback.view_class
                methods = {name.upper() for name in view_class.http_method_names if hasattr(view_class, name)}
            else:
                continue
            methods -= {"HEAD", "OPTIONS"}
            if methods != set(MATRIX[key].expect):
                gaps.append((key, sorted(methods), sorted(MATRIX[key].expect)))

    walk(get_resolver().url_patterns)
    assert not gaps, f"Methods taken by the API but not in the matrix (or the reverse): {gaps}"


# Running the cells --------------------------------------------------------------------


def _client(entry, user):
    if entry.api:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _request(client, entry, method, path, data):
    if entry.api:
        if isinstance(data, tuple):
            return getattr(client, method.lower())(path, data[1], format="multipart")
        if method == "GET":
            return client.get(path)
        return getattr(client, method.lower())(path, data or {}, format="json")
    if method == "GET":
        return client.get(path)
    return client.post(path, data or {})


def run_cell(world, entry, role, scope, method):
    """The status one role gets for one method in one scope, with every
    change the request made rolled back."""
    user = world.user(role)
    client = _client(entry, user)
    path = entry.path(world, scope, role)
    data = entry.body(world, scope, role, method) if entry.body and method != "GET" else None
    with transaction.atomic():
        response = _request(client, entry, method, path, data)
        transaction.set_rollback(True)
    # Close the files a download opened, without the end-of-request signal
    # that would drop the test's database connection.
    signals.request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        signals.request_finished.connect(close_old_connections)
    return response.status_code


def expected(entry, method, role, scope):
    value = entry.expect[method][role]
    if isinstance(value, tuple):
        return value[0] if scope == "in" else value[1]
    return value


@pytest.mark.parametrize("key", sorted(MATRIX))
def test_each_role_gets_what_the_matrix_says(world, key):
    entry = MATRIX[key]
    wrong = []
    for method in entry.expect:
        for role in ROLES:
            for scope in entry.scopes():
                want = expected(entry, method, role, scope)
                got = run_cell(world, entry, role, scope, method)
                if got != want:
                    wrong.append(f"{method} as {role} ({scope} scope): expected {want}, got {got}")
    assert not wrong, f"{key}:\n" + "\n".join(wrong)


# The table ----------------------------------------------------------------------------


def _cell(value):
    return f"{value[0]}\\|{value[1]}" if isinstance(value, tuple) else str(value)


def matrix_table():
    head = "| URL pattern | method | " + " | ".join(ROLES) + " |"
    rule = "|" + "---|" * (len(ROLES) + 2)
    rows = [
        f"| `{key}` | {method} | " + " | ".join(_cell(entry.expect[method][role]) for role in ROLES) + " |"
        for key, entry in sorted(MATRIX.items())
        for method in entry.expect
    ]
    return "\n".join([head, rule, *rows])


DOC_INTRO = """# Permission matrix

Generated by `tests/test_permission_matrix.py` (do not edit by hand: run
`UPDATE_DOCS=1 pytest tests/test_permission_matrix.py` to regenerate it).
Every URL pattern of the site, every method it takes, and the status each
role gets. `200|404` means 200 for an object in the role's scope and 404
for one out of it (a township officer's well of another township, a member
unit's well without its task). The anonymous API client gets 401; an anonymous page
visitor is sent to the login page (302). The admin pages follow each role's
model permissions (403 without one) and scope (404 out of it).

The table is one bureau's. With many bureaus on one deployment (DESIGN §9)
the bureau roles and leaders see their bureau's division and below: every
scoped address above answers them 404 for a neighbouring bureau's object
(403 or 404 where their role may not do the thing even to their own), as
`test_bureau_roles_get_404_for_a_neighbouring_bureaus_objects` checks
cell by cell.

"""


def test_the_committed_docs_show_the_matrix():
    """docs/permission-matrix.md is the matrix as committed: a test run only
    reads it. ``UPDATE_DOCS=1`` writes the file first (then commit it);
    ``pytest -s`` prints the table."""
    text = DOC_INTRO + matrix_table() + "\n"
    print("\n" + matrix_table())
    if os.environ.get("UPDATE_DOCS") == "1":
        DOC.write_text(text, encoding="utf-8")

    assert DOC.read_text(encoding="utf-8") == text, (
        "docs/permission-matrix.md is not the matrix: run UPDATE_DOCS=1 pytest tests/test_permission_matrix.py "
        "and commit it"
    )


# Many bureaus (DESIGN §9) ---------------------------------------------------------------
# The same cells with the bureau roles and the leader placed in 昌吉市's
# bureau, and everything "out" of scope moved to a campaign of 阜康市's: a
# neighbouring bureau's object answers 404 to them. Where their role may
# not do the thing even to their own bureau's object (403 in scope), the
# neighbour's answers 403 or 404 as the view checks the role or the object
# first: neither says the object exists. Where "out" is not another
# bureau's object, or answers otherwise by design, the status is written
# here (None: as in the single-bureau matrix):
NOT_A_NEIGHBOURS_OBJECT = {
    "admin:app_list": None,  # out is another app's page
    "api:inspection-list": 400,  # a well named in the body out of scope: as a code that does not exist
    "api:publicity-list": None,  # out is another member unit, which the bureau may record for
    # Back to the ledger, nothing done: a neighbour's well is ticked as no well is.
    "wells:bulk": 302,
    "wells:bulk-notify": 302,
}

NEIGHBOURS_STREET = "652302001"


@pytest.fixture
def two_bureaus(world, bureau, campaign, ningbian_unit):
    from accounts.choices import UnitKind
    from tests.factories import CampaignFactory, UnitFactory
    from tests.test_divisions import place
    from wells.models import Campaign, Well

    divisions = place("652301005", NEIGHBOURS_STREET)
    type(bureau).objects.filter(pk=bureau.pk).update(division=divisions["652301"])
    Campaign.objects.filter(pk=campaign.pk).update(bureau=bureau)
    fukang = UnitFactory(name="阜康市水利局", kind=UnitKind.BUREAU, division=divisions["652302"])
    neighbours = CampaignFactory(name="阜康市关停", bureau=fukang)
    out = world.wells["out"]
    Well.objects.filter(pk=out.pk).update(campaign=neighbours)
    # The 宁边路 government, which holds the "out" tickets, placed in 阜康.
    type(ningbian_unit).objects.filter(pk=ningbian_unit.pk).update(division=divisions[NEIGHBOURS_STREET])
    made = supervision_world(world)
    for kind in ("under_way", "finished"):
        type(made[kind]["out"]).objects.filter(pk=made[kind]["out"].pk).update(campaign=neighbours)
    for role in SEES_ALL:
        world.users[role].refresh_from_db()
    world.wells["out"].refresh_from_db()
    return neighbours


def _request_shape(entry, world, scope, role, method):
    data = entry.body(world, scope, role, method) if entry.body and method != "GET" else None
    if isinstance(data, tuple):
        data = sorted(data[1])
    return entry.path(world, scope, role), repr(data)


@pytest.mark.parametrize("key", sorted(key for key, entry in MATRIX.items() if entry.scoped))
def test_bureau_roles_get_404_for_a_neighbouring_bureaus_objects(world, two_bureaus, key):
    entry = MATRIX[key]
    wrong = []
    for method in entry.expect:
        for role in sorted(SEES_ALL):
            inside = expected(entry, method, role, "in")
            got_in = run_cell(world, entry, role, "in", method)
            if got_in != inside:
                wrong.append(f"{method} as {role} (own bureau): expected {inside}, got {got_in}")
            moves = _request_shape(entry, world, "in", role, method) != _request_shape(
                entry, world, "out", role, method
            )
            if not moves:
                outside = {expected(entry, method, role, "out")}
            elif inside == 403:
                outside = {403, 404}
            elif key in NOT_A_NEIGHBOURS_OBJECT:
                written = NOT_A_NEIGHBOURS_OBJECT[key]
                outside = {expected(entry, method, role, "out") if written is None else written}
            else:
                outside = {404}
            got_out = run_cell(world, entry, role, "out", method)
            if got_out not in outside:
                wrong.append(f"{method} as {role} (neighbouring bureau): expected {outside}, got {got_out}")
    assert not wrong, f"{key}:\n" + "\n".join(wrong)
