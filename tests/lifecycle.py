"""Wells in each state of the lifecycle, ready for an action, and the check
that a refused action changed nothing: shared by ``test_workflow`` (the
guards) and ``test_rule_tables`` (the contract's tables, cell by cell). The
``ready_well`` fixture in ``conftest.py`` builds them."""

import dataclasses
import datetime
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from tests.factories import WellFactory
from wells.choices import Action, AttachmentKind, Category, Status, Use
from wells.models import Well, WellEvent
from wells.uploads import store_attachment
from wells.workflow import WorkflowError, perform

LICENCE_NO = "取水(昌)字[2015]第0012号"

# The fixed person of each role (the fixtures of conftest.py).
PERSONAS = {
    Role.BUREAU_ADMIN: "admin_user",
    Role.BUREAU_STAFF: "staff",
    Role.TOWNSHIP_OFFICER: "officer",
    Role.UNIT_MEMBER: "member",
    Role.LEADER: "leader",
}

# How a well built in each state reached it: the earlier event a revert
# undoes, as (action, the state before it).
REACHED_BY = {
    Status.INVENTORIED: (Action.RELEASE, Status.RETAINED),
    Status.NOTIFIED: (Action.NOTIFY, Status.INVENTORIED),
    Status.LICENSE_REVOKED: (Action.REVOKE_LICENSE, Status.NOTIFIED),
    Status.DISCONNECTED: (Action.DISCONNECT, Status.LICENSE_REVOKED),
    Status.SEALED: (Action.SEAL, Status.DISCONNECTED),
    Status.ACCEPTED: (Action.ACCEPT, Status.SEALED),
    Status.RETAINED: (Action.RETAIN, Status.INVENTORIED),
    Status.REACTIVATED: (Action.REACTIVATE, Status.ACCEPTED),
}


def png_bytes():
    """A real 1×1 PNG image, built by hand so the tests need no imaging library."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # width, height, 8-bit RGB
    pixels = zlib.compress(b"\x00\x00\x00\x00")  # one row: filter byte, one black pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def attach(well, user, kind=AttachmentKind.PHOTO):
    """Upload a photo (a real PNG) or, for another kind, a PDF to ``well``."""
    if kind == AttachmentKind.PHOTO:
        upload = SimpleUploadedFile("封井.png", png_bytes(), content_type="image/png")
    else:
        upload = SimpleUploadedFile("通知书.pdf", PDF_BYTES, content_type="application/pdf")
    return store_attachment(well=well, kind=kind, upload=upload, uploaded_by=user)


@dataclasses.dataclass
class Case:
    """A well in some state with what ``action`` needs besides the state,
    and the data its event records when the action succeeds."""

    well: Well
    data: dict
    event_data: dict


def build_ready_well(action, status, *, township, campaign, uploader):
    """A well of ``township`` in ``status`` meeting every precondition of
    ``action``, with valid data for it (see the ``ready_well`` fixture)."""
    fields = {"status": status, "township": township, "campaign": campaign}
    if action == Action.REVOKE_LICENSE or (action == Action.DISCONNECT and status != Status.NOTIFIED):
        fields.update(license_no=LICENCE_NO, category=Category.LICENSED)
    if action == Action.DISCONNECT:
        fields.update(uses=[Use.DOMESTIC, Use.IRRIGATION], supply_connected_on=datetime.date(2023, 6, 1))
    if action == Action.ESCALATE:
        fields.update(comply_by=datetime.date(2023, 6, 10))
    if action == Action.RELEASE:
        fields.update(review_on=datetime.date(2024, 6, 30))
    well = WellFactory(**fields)

    if action == Action.NOTIFY:
        data = {"notice_no": "昌水通〔2023〕15号", "served_on": "2023-06-01", "comply_by": "2023-06-30"}
        event_data = dict(data)
    elif action == Action.REVOKE_LICENSE:
        data = {"revocation_no": "昌水许注〔2023〕3号", "revoked_on": "2023-06-05"}
        event_data = {**data, "license_no": LICENCE_NO}
    elif action == Action.DISCONNECT:
        data = {"disconnected_on": "2023-06-10"}
        event_data = dict(data)
    elif action == Action.SEAL:
        photo = attach(well, uploader)
        data = {"sealed_on": "2023-06-12", "method": "回填封井", "attachments": [photo.pk]}
        event_data = dict(data)
    elif action == Action.ACCEPT:
        data = {"accepted_on": "2023-06-14", "inspectors": "李四、王五"}
        event_data = dict(data)
    elif action == Action.RETAIN:
        data = {"reason": "城市应急备用水源", "review_on": "2024-06-30"}
        event_data = dict(data)
    elif action == Action.RELEASE:
        data = {"reason": "复查结论"}
        event_data = dict(data)
    elif action == Action.REACTIVATE:
        # A well found in use again goes round the closure by a new deadline.
        data = {"reason": "回头看发现复用", "deadline": "2024-06-30"}
        event_data = dict(data)
    elif action == Action.ESCALATE:
        data = {"reason": "逾期未自行关停"}
        event_data = {**data, "comply_by": "2023-06-10"}
    else:
        earlier_action, earlier_status = REACHED_BY[status]
        earlier = WellEvent.objects.create(
            well=well,
            action=earlier_action,
            from_status=earlier_status,
            to_status=status,
            actor=uploader,
            actor_name=str(uploader),
            changes={"status": [earlier_status, status]},
        )
        data = {"reason": "录入错误"}
        event_data = {**data, "reverted_event": earlier.pk, "reverted_action": earlier_action}
    return Case(well=well, data={**data, "note": "现场核实"}, event_data=event_data)


def assert_refused(well, action, *, actor, data, code, version=None):
    """``perform`` refuses with ``code`` and nothing about the well changes:
    no field, no version, no event. Returns the error."""
    before = Well.objects.get(pk=well.pk)
    events_before = list(WellEvent.objects.filter(well_id=well.pk).values_list("pk", flat=True))
    with pytest.raises(WorkflowError) as excinfo:
        perform(well, action, actor=actor, data=data, version=before.version if version is None else version)
    after = Well.objects.get(pk=well.pk)
    error = excinfo.value
    assert error.code == code, str(error)
    assert str(error) and error.message == str(error)
    tracked = ("status", "version", "enforced", "comply_by", "review_on", "updated_at")
    assert [getattr(after, name) for name in tracked] == [getattr(before, name) for name in tracked]
    assert list(WellEvent.objects.filter(well_id=well.pk).values_list("pk", flat=True)) == events_before
    return error
