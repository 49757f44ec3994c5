import io, datetime, subprocess, shutil, pathlib
from PIL import Image, ImageDraw
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from accounts.models import User
from wells.models import Well, Campaign
from wells.choices import Action, Use, Status
from wells.workflow import perform
from wells.uploads import store_attachment
from wells.reports import closure_notice, acceptance_form
from tasks.reports import work_report, work_report_figures
from wells.excel import export_wells

out = pathlib.Path("/tmp/docimg")
staff = User.objects.get(username="staff"); admin = User.objects.get(username="admin")
today = timezone.localdate()
day = lambda n: (today - datetime.timedelta(days=n)).isoformat()
wells = list(Well.objects.exclude(status=Status.RETAINED).order_by("code"))
simple = [w for w in wells if Use.DOMESTIC not in w.uses and not w.license_no]
for w in wells[:12]:
    perform(w, Action.NOTIFY, actor=staff, data={"served_on": day(30), "comply_by": day(-30)})
w = Well.objects.get(pk=simple[0].pk)
if w.status == Status.INVENTORIED:
    perform(w, Action.NOTIFY, actor=staff, data={"served_on": day(30), "comply_by": day(-30)})
w = Well.objects.get(pk=w.pk)
perform(w, Action.DISCONNECT, actor=staff, data={"disconnected_on": day(10)})
img = Image.new("RGB", (1200, 900), (150, 140, 120)); d = ImageDraw.Draw(img)
d.ellipse((400, 300, 800, 600), fill=(110, 110, 110), outline=(60, 60, 60), width=12)
d.rectangle((0, 700, 1200, 900), fill=(120, 160, 90))
buf = io.BytesIO(); img.save(buf, "JPEG", quality=85)
photo = store_attachment(well=w, kind="photo", upload=SimpleUploadedFile("封井现场.jpg", buf.getvalue(), content_type="image/jpeg"), uploaded_by=staff)
w = Well.objects.get(pk=w.pk)
perform(w, Action.SEAL, actor=staff, data={"sealed_on": day(5), "method": "黏土、砂石回填，混凝土封口", "attachments": [photo.pk]})
w = Well.objects.get(pk=w.pk)
perform(w, Action.ACCEPT, actor=admin, data={"accepted_on": day(2), "inspectors": "王工、李工"})
w = Well.objects.select_related("township", "responsible_unit", "campaign").get(pk=w.pk)
notified = Well.objects.select_related("township", "responsible_unit", "campaign").filter(status=Status.NOTIFIED).order_by("code").first()
def save(name, handle):
    (out / name).write_bytes(handle.read())
save("notice.docx", closure_notice([notified]))
save("acceptance.docx", acceptance_form(w))
campaign = w.campaign
save("report.docx", work_report(work_report_figures(Well.objects.all(), campaign, today), number="昌水字〔2026〕21号"))
qs = Well.objects.filter(campaign=campaign)
totals, units = qs.summary()
save("ledger.xlsx", export_wells(qs.order_by("code"), units, totals))
print("ok", w.code, notified.code)
