"""The campaign's archive (DESIGN §5, the 档案资料 of the plan's 总结验收
phase): ``GET /api/v1/campaigns/{id}/archive.zip`` — the work report and
the ledger at the top, then every well's file (一井一档, :mod:`wells.dossier`)
in a folder of its code, all streamed as one zip that is never held in
memory. It lives in the tasks app because the work report does."""

from django.utils import timezone

from tasks.reports import work_report, work_report_figures
from wells.dossier import dossier_entries, safe_name, stream_zip
from wells.excel import export_wells


def archive_name(campaign, day):
    return f"{safe_name(campaign.name)}-档案-{day.isoformat()}.zip"


def campaign_archive(wells, campaign):
    """The archive of ``campaign`` over ``wells`` (the caller's scope), as
    zip chunks: the report and the ledger are written to temporary files
    and copied in chunks, the wells' files one after another."""
    return stream_zip(_entries(wells.filter(campaign=campaign), campaign))


def _entries(wells, campaign):
    today = timezone.localdate()
    yield "工作报告.docx", work_report(work_report_figures(wells, campaign, today))
    totals, by_unit = wells.summary()
    yield "机井台账.xlsx", export_wells(wells.order_by("code"), by_unit, totals)
    yield from dossier_entries(wells, prefix="一井一档/")
