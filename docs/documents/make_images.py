"""The documents of README's "Documents to sign and send", as LibreOffice
prints them. On a fresh database with the demo data (``manage.py
load_demo``): ``manage.py shell < docs/documents/make_images.py`` serves
twelve notices, closes one well with a photo, and writes the notice, the
acceptance form, the work report and the ledger to /tmp/docimg; then
``soffice --headless --convert-to pdf`` and ``pdftoppm -png -r 50`` make the
pages, placed side by side."""

import datetime
import io
import pathlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import User
from tasks.reports import work_report, work_report_figures
from wells.choices import Action, Status, Use
from wells.excel import export_wells
from wells.models import Well
from wells.reports import acceptance_form, closure_notice
from wells.uploads import store_attachment
from wells.workflow import perform

OUT = pathlib.Path("/tmp/docimg")
TODAY = timezone.localdate()


def days_ago(n):
    return (TODAY - datetime.timedelta(days=n)).isoformat()


def photo_of_a_sealed_well():
    image = Image.new("RGB", (1200, 900), (150, 140, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((400, 300, 800, 600), fill=(110, 110, 110), outline=(60, 60, 60), width=12)
    draw.rectangle((0, 700, 1200, 900), fill=(120, 160, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("封井现场.jpg", buffer.getvalue(), content_type="image/jpeg")


def fresh(well):
    return Well.objects.select_related("township", "responsible_unit", "campaign").get(pk=well.pk)


staff, admin = User.objects.get(username="staff"), User.objects.get(username="admin")
notice = {"served_on": days_ago(30), "comply_by": days_ago(-30)}
wells = list(Well.objects.exclude(status=Status.RETAINED).order_by("code"))
for well in wells[:12]:
    perform(well, Action.NOTIFY, actor=staff, data=notice)
closed = fresh(next(w for w in wells if Use.DOMESTIC not in w.uses and not w.license_no))
if closed.status == Status.INVENTORIED:
    perform(closed, Action.NOTIFY, actor=staff, data=notice)
perform(fresh(closed), Action.DISCONNECT, actor=staff, data={"disconnected_on": days_ago(10)})
photo = store_attachment(well=closed, kind="photo", upload=photo_of_a_sealed_well(), uploaded_by=staff)
seal = {"sealed_on": days_ago(5), "method": "黏土、砂石回填，混凝土封口", "attachments": [photo.pk]}
perform(fresh(closed), Action.SEAL, actor=staff, data=seal)
perform(fresh(closed), Action.ACCEPT, actor=admin, data={"accepted_on": days_ago(2), "inspectors": "王工、李工"})
closed = fresh(closed)
served = fresh(Well.objects.filter(status=Status.NOTIFIED).order_by("code").first())

OUT.mkdir(exist_ok=True)
(OUT / "notice.docx").write_bytes(closure_notice([served]).read())
(OUT / "acceptance.docx").write_bytes(acceptance_form(closed).read())
figures = work_report_figures(Well.objects.all(), closed.campaign, TODAY)
(OUT / "report.docx").write_bytes(work_report(figures, number="昌水字〔2026〕21号").read())
ledger = Well.objects.filter(campaign=closed.campaign)
totals, units = ledger.summary()
(OUT / "ledger.xlsx").write_bytes(export_wells(ledger.order_by("code"), units, totals).read())
