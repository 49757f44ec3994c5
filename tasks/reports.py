"""The work report (取水井关停工作报告, the shape of ``seeds/000_…``)
generated from the ledger as it stood on a date: every figure the template
leaves as [X] comes from the data, and the prose around them is the
template's, kept as ordinary paragraphs that the bureau edits in Word.

It lives in the tasks app because it counts the publicity records and
groundwater readings kept here, besides the wells (tasks → wells).

"As it stood on a date" is read from the wells' events: a well's state on a
day is the state before the first of its actions dated after that day, or
its current state when there is none. An action is dated by the day its own
form names (the acceptance date the inspectors wrote, the day a notice was
served …), or the day it was recorded when it names none.
"""

import datetime
import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from tasks.choices import PublicityKind
from tasks.models import GroundwaterReading, PublicityRecord
from tasks.sources import FIGURE_SOURCES
from wells.choices import Category, InspectionResult, Status, Use
from wells.document import (
    CHARACTER,
    addressee,
    chinese_date,
    document_number,
    heading,
    new_document,
    page_break,
    paragraph,
    saved,
    signature,
    table,
    title,
)
from wells.excel import LABELS
from wells.figures import completion_rate, is_overdue, overdue_q
from wells.models import Inspection, WellEvent
from wells.reports import ACTION_DATE_FIELDS, default_area

# A groundwater reading stands for the level on a day when taken within
# this many days before it (monitoring wells are read about monthly).
READING_WINDOW = datetime.timedelta(days=62)

# States in which a visit to a well is a 回头看: the well had been closed.
REVISIT_STATUSES = frozenset({Status.ACCEPTED, Status.REACTIVATED})

# The overdue wells 附表2 lists by name, the most overdue first; the report
# counts the others per unit and points to the ledger export for them all.
LISTED_OVERDUE = 100
# What the annex lists of a well, and what its state on a past day needs.
ANNEX_FIELDS = ("code", "owner_name", "deadline", "status", "responsible_unit__name", "township__name")
STATE_FIELDS = ("pk", "category", "uses", "supply_connected_on", "enforced")

# States in which a well is closed or kept: its replacement supply is no
# longer awaited.
SUPPLY_SETTLED = frozenset({Status.DISCONNECTED, Status.SEALED, Status.ACCEPTED, Status.RETAINED})


class Timeline:
    """One well's states over time, from its events."""

    __slots__ = ("current", "changes")

    def __init__(self, current):
        self.current = current
        self.changes = []  # (effective date, state before), in the order of the events

    def status_on(self, day):
        for effective, before in self.changes:
            if effective > day:
                return before
        return self.current


def _effective_date(action, data, created_at):
    name = ACTION_DATE_FIELDS.get(action)
    value = (data or {}).get(name) if name else None
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    return timezone.localdate(created_at)


def one_year_before(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


class CompletionRate:
    """``to_close`` and ``completion_rate`` of figures with ``total``,
    ``retained`` and ``accepted``."""

    @property
    def to_close(self):
        return self.total - self.retained

    @property
    def completion_rate(self):
        return completion_rate(self.accepted, self.to_close)


@dataclass
class UnitProgress(CompletionRate):
    name: str
    total: int = 0
    retained: int = 0
    accepted: int = 0
    overdue: int = 0


@dataclass
class WorkReportFigures(CompletionRate):
    """Every figure of the report, as of ``as_of``."""

    campaign: object
    as_of: datetime.date
    area: str
    total: int = 0
    retained: int = 0
    accepted: int = 0
    accepted_by_category: dict = field(default_factory=dict)
    publicity: dict = field(default_factory=dict)
    inspections: int = 0
    revisits: int = 0
    reuse_found: int = 0
    reuse_wells: int = 0
    groundwater_rise_m: Decimal | None = None
    groundwater_wells: int = 0
    units: list = field(default_factory=list)
    overdue_count: int = 0
    # The LISTED_OVERDUE most overdue wells, the most overdue first.
    most_overdue: list = field(default_factory=list)
    # From the apps that register with tasks.sources (supervision): patrols
    # (巡查) finished and those that met the campaign's minimums, their
    # length, and the public's reports (举报) received and closed.
    patrols: int = 0
    patrols_counting: int = 0
    patrol_km: float = 0
    public_reports: int = 0
    public_reports_closed: int = 0
    # From the meter watch (井电双控): whether readings come in, the alerts
    # (疑似复启) opened, the wells they concern and those still open.
    meter_watch: bool = False
    meter_alerts: int = 0
    meter_alert_wells: int = 0
    meter_alerts_open: int = 0
    # Domestic wells still open whose replacement supply is not connected.
    supply_pending: int = 0
    enforced: int = 0

    @property
    def publicity_total(self):
        return sum(self.publicity.values())


def work_report_figures(wells, campaign, as_of, area=None):
    """The report's figures over ``wells`` (the caller's scope) of
    ``campaign`` as of the end of ``as_of``.

    A well with no event recorded after that day was in its current state
    then (no action is dated after the day it is recorded: the workflow
    refuses a date in the future): the database counts those wells. Only the
    wells changed since are read, and their later events replayed
    (:class:`Timeline`) — none for today's report, so a million-well
    campaign's figures are a few aggregate queries."""
    wells = wells.filter(campaign=campaign)
    figures = WorkReportFigures(campaign=campaign, as_of=as_of, area=area or default_area(campaign))
    end = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min))
    existing = wells.filter(created_at__lt=end)
    later = WellEvent.objects.filter(well=OuterRef("pk"), created_at__gte=end)
    units = {}
    by_category = defaultdict(int)
    overdue = []  # (days, code, facts, state) of overdue wells, for the annex's first LISTED_OVERDUE

    def unit_of(name):
        return units.setdefault(name, UnitProgress(name))

    # The wells in their current state on the day, counted by the database.
    unchanged = existing.filter(~Exists(later))
    for row in (
        unchanged.values("responsible_unit__name")
        .annotate(
            total=Count("pk"),
            retained=Count("pk", filter=Q(status=Status.RETAINED)),
            accepted=Count("pk", filter=Q(status=Status.ACCEPTED)),
            overdue=Count("pk", filter=overdue_q(as_of)),
        )
        .order_by()
    ):
        unit = unit_of(row["responsible_unit__name"])
        for name in ("total", "retained", "accepted", "overdue"):
            setattr(unit, name, getattr(unit, name) + row[name])
    for row in unchanged.filter(status=Status.ACCEPTED).values("category").annotate(n=Count("pk")).order_by():
        by_category[row["category"]] += row["n"]
    unsettled = unchanged.exclude(status__in=sorted(SUPPLY_SETTLED))
    figures.supply_pending += (
        unsettled.with_use(Use.DOMESTIC)
        .filter(Q(supply_connected_on__isnull=True) | Q(supply_connected_on__gt=as_of))
        .count()
    )
    figures.enforced += unsettled.filter(enforced=True).count()
    for row in unchanged.filter(overdue_q(as_of)).order_by("deadline", "code").values(*ANNEX_FIELDS)[:LISTED_OVERDUE]:
        overdue.append(((as_of - row["deadline"]).days, row["code"], row, row["status"]))

    # The wells changed since, each in the state its later events undo to.
    rows = {row["pk"]: row for row in existing.filter(Exists(later)).values(*ANNEX_FIELDS, *STATE_FIELDS)}
    timelines = {pk: Timeline(row["status"]) for pk, row in rows.items()}
    events = WellEvent.objects.filter(well__in=existing, created_at__gte=end).order_by("well_id", "pk")
    for well_id, action, from_status, data, created_at in events.values_list(
        "well_id", "action", "from_status", "data", "created_at"
    ).iterator(chunk_size=5000):
        timelines[well_id].changes.append((_effective_date(action, data, created_at), from_status))
    for pk, row in rows.items():
        state = timelines[pk].status_on(as_of)
        unit = unit_of(row["responsible_unit__name"])
        unit.total += 1
        if state == Status.RETAINED:
            unit.retained += 1
        elif state == Status.ACCEPTED:
            unit.accepted += 1
            by_category[row["category"]] += 1
        if is_overdue(state, row["deadline"], as_of):
            unit.overdue += 1
            overdue.append(((as_of - row["deadline"]).days, row["code"], row, state))
        if state not in SUPPLY_SETTLED and Use.DOMESTIC in (row["uses"] or ()):
            supply = row["supply_connected_on"]
            if supply is None or supply > as_of:
                figures.supply_pending += 1
        if row["enforced"] and state not in SUPPLY_SETTLED:
            figures.enforced += 1

    for unit in units.values():
        figures.total += unit.total
        figures.retained += unit.retained
        figures.accepted += unit.accepted
        figures.overdue_count += unit.overdue
    for days, _code, row, state in heapq.nsmallest(LISTED_OVERDUE, overdue, key=lambda item: (-item[0], item[1])):
        figures.most_overdue.append(
            {
                "code": row["code"],
                "owner_name": row["owner_name"],
                "township": row["township__name"] or "",
                "unit": row["responsible_unit__name"],
                "deadline": row["deadline"],
                "status": LABELS["status"].get(state, state),
                "days": days,
            }
        )
    figures.accepted_by_category = dict(by_category)
    figures.units = sorted(units.values(), key=lambda unit: unit.name)

    # 回头看: the inspections, and the state each inspected well was in then.
    inspected = Inspection.objects.filter(well__in=wells, inspected_on__lte=as_of)
    inspected_timelines = {
        pk: Timeline(status) for pk, status in wells.filter(inspections__in=inspected).values_list("pk", "status")
    }
    for well_id, action, from_status, data, created_at in (
        WellEvent.objects.filter(well_id__in=list(inspected_timelines))
        .order_by("well_id", "pk")
        .values_list("well_id", "action", "from_status", "data", "created_at")
        .iterator(chunk_size=5000)
    ):
        inspected_timelines[well_id].changes.append((_effective_date(action, data, created_at), from_status))
    reused = set()
    for well_id, inspected_on, result in inspected.values_list("well_id", "inspected_on", "result").iterator(
        chunk_size=5000
    ):
        figures.inspections += 1
        timeline = inspected_timelines.get(well_id)
        if timeline is not None and timeline.status_on(inspected_on) in REVISIT_STATUSES:
            figures.revisits += 1
        if result == InspectionResult.IN_USE:
            figures.reuse_found += 1
            reused.add(well_id)
    figures.reuse_wells = len(reused)

    publicity = (
        PublicityRecord.objects.filter(campaign=campaign, held_on__lte=as_of)
        .values("kind")
        .annotate(total=Sum("count"))
        .order_by()
    )
    figures.publicity = dict.fromkeys(PublicityKind.values, 0)
    figures.publicity.update({row["kind"]: row["total"] for row in publicity})

    figures.groundwater_rise_m, figures.groundwater_wells = groundwater_rise(as_of)
    for source in FIGURE_SOURCES:
        for name, value in source(wells, campaign, as_of).items():
            setattr(figures, name, value)
    return figures


def _latest_depths(day):
    """Each monitoring well's depth to water on ``day``: its latest reading
    within :data:`READING_WINDOW` before it."""
    readings = (
        GroundwaterReading.objects.filter(measured_on__lte=day, measured_on__gt=day - READING_WINDOW)
        .order_by("monitoring_well_id", "measured_on")
        .values_list("monitoring_well_id", "depth_to_water_m")
    )
    return dict(readings)  # the latest of each well comes last


def groundwater_rise(as_of):
    """How far the water table rose (metres; negative: fell) from a year
    before ``as_of`` to ``as_of``, as the mean over the monitoring wells read
    at both times, and how many wells that is. A smaller depth to water is a
    higher water table. (None, 0) without comparable readings."""
    now = _latest_depths(as_of)
    then = _latest_depths(one_year_before(as_of))
    common = now.keys() & then.keys()
    if not common:
        return None, 0
    mean_now = sum(now[pk] for pk in common) / len(common)
    mean_then = sum(then[pk] for pk in common) / len(common)
    return (mean_then - mean_now).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), len(common)


def _percent(rate):
    if rate is None:
        return "—"
    return format((Decimal(str(rate)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), "f")


# The document ----------------------------------------------------------------
# The template's sentences are kept where the figures bear them out; where a
# figure is zero the report says what the ledger holds instead of claiming
# what was not done (no 营造了良好的工作氛围 after no publicity).


def report_title(figures):
    return f"关于{figures.area}取水井关停工作情况的报告"


def work_report(figures, *, number="", addressed_to=""):
    """The report as a Word document (an open temporary file at its start),
    in the 公文 format: ``number`` its 文号 when the bureau has given one,
    ``addressed_to`` its 主送 (by default the government of its area, which
    issued the plan)."""
    f = figures
    area = f.area
    day = chinese_date(f.as_of)
    lead = f.campaign.lead_unit
    issuer = lead.name if lead is not None else f"{area}取水井关停工作领导小组"
    document = new_document(author=issuer, title_text=report_title(f))
    if number:
        document_number(document, number)
    title(document, report_title(f))
    addressee(document, addressed_to or f"{area}人民政府")
    paragraph(
        document,
        "为深入贯彻落实国家关于水资源保护和合理利用的政策要求，加强水资源管理，推进地下水超采综合治理，"
        f"按照{f.campaign.cited_plan}的部署，{area}开展取水井关停工作。现将截至{day}的工作情况报告如下：",
    )

    heading(document, "一、工作背景")
    paragraph(
        document,
        f"{area}长期以来存在地下水过度开采的现象，导致地下水位持续下降，引发了一系列生态环境问题，"
        "对地区的可持续发展构成了威胁。为有效遏制地下水超采趋势，改善区域生态环境，"
        "按照上级部门的统一部署，决定开展取水井关停工作。",
    )

    heading(document, "二、工作目标")
    paragraph(
        document,
        "本次取水井关停工作旨在全面排查并依法依规关停不符合规定的取水井，严格控制地下水开采量，"
        "逐步实现地下水采补平衡，保护地下水资源，保障生态环境安全。",
    )

    heading(document, "三、工作开展情况")
    heading(document, "（一）全面排查，摸清底数", level=2)
    paragraph(
        document,
        f"对全{area}范围内的取水井进行了排查，登记每一口取水井的位置、用途、取水许可等信息。"
        f"共登记取水井{f.total}眼，确定需关停的取水井{f.to_close}眼。",
    )
    heading(document, "（二）制定方案，明确责任", level=2)
    paragraph(
        document,
        f"按照{f.campaign.cited_plan}，明确了各部门的职责分工，乡镇政府（街道办事处）作为实施主体，"
        f"具体负责组织实施本辖区内的取水井关停工作。建立了工作台账，将每一口取水井的关停任务分解到"
        f"{len(f.units)}个责任单位和具体责任人。",
    )
    heading(document, "（三）广泛宣传，营造氛围", level=2)
    paragraph(document, _publicity_sentence(f))
    heading(document, "（四）分类施策，稳步推进", level=2)
    paragraph(document, "针对不同类型的取水井，采取了分类关停措施：")
    by_category = f.accepted_by_category
    paragraph(
        document,
        "1.对未经审批擅自开凿的取水井：依法下达关停通知书，责令取水户限期自行拆除取水设备，并对井口进行封填处理，"
        f"对拒不执行的依法强制关停。已关停并验收销号此类取水井{by_category.get(Category.UNLICENSED, 0)}眼。",
    )
    paragraph(
        document,
        "2.对已办理取水许可，但不符合水资源规划和产业政策要求的取水井：按照规定程序注销取水许可，"
        "督促取水户在规定时间内完成关停，引导取水户改用地表水或其他替代水源。"
        f"已关停并验收销号此类取水井{by_category.get(Category.LICENSED, 0)}眼。",
    )
    paragraph(
        document,
        "3.对因公共服务、应急等特殊需要暂时保留的取水井：登记造册，明确管理责任，加强日常监管。"
        f"共保留此类取水井{f.retained}眼。"
        if f.retained
        else "3.本次关停范围内无因公共服务、应急等特殊需要保留的取水井。",
    )
    paragraph(document, _progress_sentence(f, day))

    heading(document, "（五）加强监管，巩固成果", level=2)
    paragraph(document, _supervision_sentence(f))

    heading(document, "四、工作成效")
    for sentence in _results(f):
        paragraph(document, sentence)

    heading(document, "五、存在问题")
    problems = _problems(f)
    for index, (subtitle, sentence) in enumerate(problems):
        heading(document, f"（{CHINESE_ORDINALS[index]}）{subtitle}", level=2)
        paragraph(document, sentence)

    heading(document, "六、下一步工作计划")
    for index, (subtitle, sentence) in enumerate(_next_steps(f)):
        heading(document, f"（{CHINESE_ORDINALS[index]}）{subtitle}", level=2)
        paragraph(document, sentence)
    paragraph(document, _closing_sentence(f))
    paragraph(document, "附表：1．各责任单位关停进度")
    annex = paragraph(document, "2．超过限期尚未完成关停的取水井")
    annex.paragraph_format.first_line_indent = None
    annex.paragraph_format.left_indent = CHARACTER * 5
    signature(document, issuer, f.as_of)

    page_break(document)
    heading(document, "附表1　各责任单位关停进度")
    unit_rows = [
        (u.name, u.total, u.to_close, u.accepted, u.retained, u.overdue, _percent(u.completion_rate)) for u in f.units
    ]
    unit_rows.append(
        ("合计", f.total, f.to_close, f.accepted, f.retained, f.overdue_count, _percent(f.completion_rate))
    )
    table(
        document,
        ["责任单位", "机井总数", "应关停", "已验收销号", "保留", "超期", "完成率(%)"],
        unit_rows,
        widths=[4.0, 2.0, 1.8, 2.6, 1.5, 1.5, 2.2],
        whole_columns=range(1, 7),
    )
    heading(document, "附表2　超过限期尚未完成关停的取水井")
    if f.most_overdue:
        paragraph(document, _overdue_annex_sentence(f))
        table(
            document,
            ["序号", "机井编码", "取水户", "乡镇(街道)", "责任单位", "限期", "状态", "超期天数"],
            [
                (
                    index,
                    well["code"],
                    well["owner_name"],
                    well["township"],
                    well["unit"],
                    well["deadline"].isoformat(),
                    well["status"],
                    well["days"],
                )
                for index, well in enumerate(f.most_overdue, start=1)
            ],
            widths=[1.0, 2.5, 2.3, 1.9, 2.3, 2.4, 2.2, 1.0],
            whole_columns=(0, 1, 5, 7),
        )
    else:
        paragraph(document, "截至报告日期，无超过限期尚未完成关停的取水井。")
    return saved(document)


CHINESE_ORDINALS = "一二三四五六七八九十"


def _publicity_sentence(f):
    p = f.publicity
    counts = [
        (p[PublicityKind.POST], "发布各类宣传信息{}条"),
        (p[PublicityKind.SLOGAN], "张贴宣传标语{}张"),
        (p[PublicityKind.HANDBOOK], "发放宣传手册{}份"),
        (p[PublicityKind.MEETING], "召开会议{}次"),
    ]
    done = [text.format(count) for count, text in counts if count]
    if not done:
        return "截至报告日期，工作台账中尚无宣传工作记录，宣传动员工作有待开展。"
    return (
        "通过多种渠道宣传取水井关停工作的重要意义和相关政策法规，向群众和企业负责人解释取水井关停的必要性，"
        f"争取他们的理解和支持。共{'，'.join(done)}。"
    )


def _progress_sentence(f, day):
    remaining = f.to_close - f.accepted
    if not f.to_close:
        return f"截至{day}，本次关停范围内无应关停的取水井。各责任单位情况见附表1。"
    text = f"截至{day}，已累计关停并验收销号取水井{f.accepted}眼，完成率{_percent(f.completion_rate)}%，"
    if remaining <= 0:
        text += "应关停的取水井已全部完成关停。"
    elif f.accepted:
        text += f"其余{remaining}眼正在按照计划推进关停工作。"
    else:
        text += f"尚无取水井完成验收销号，{remaining}眼应关停取水井正在按照计划推进。"
    if f.overdue_count:
        text += f"其中超过限期尚未完成关停的{f.overdue_count}眼（见附表2），已督促责任单位加快推进。"
    return text + "各责任单位进度见附表1。"


def _supervision_sentence(f):
    reports = _public_reports_sentence(f)
    if not f.inspections and not f.patrols:
        return (
            "截至报告日期，工作台账中尚无巡查检查记录，关停后的巡查和“回头看”工作有待开展。"
            + _meter_sentence(f)
            + reports
        )
    if f.reuse_found:
        reuse = f"发现已关停取水井重新启用{f.reuse_wells}眼（{f.reuse_found}次），已责令停止取水并重新纳入关停程序。"
    elif f.inspections and not f.meter_alerts_open:
        reuse = "未发现已关停取水井重新启用的情况。"
    elif f.inspections:
        reuse = "现场检查未发现已关停取水井重新启用的情况。"
    else:
        reuse = "尚未对已关停取水井开展现场检查。"
    reuse += _meter_sentence(f)
    patrols = ""
    if f.patrols:
        counting = f"，其中达到巡查要求的{f.patrols_counting}次" if f.patrols_counting != f.patrols else ""
        patrols = f"开展巡查{f.patrols}次、累计巡查里程{f.patrol_km:g}公里{counting}；"
    revisits = f"，其中对已关停取水井的“回头看”{f.revisits}次" if f.revisits else ""
    checks = f"共开展巡查检查{f.inspections}次{revisits}，" if f.inspections else ""
    return f"加强对取水井的巡查检查，防止已关停取水井死灰复燃。{patrols}{checks}{reuse}{reports}"


def _meter_sentence(f):
    """The meter watch's figures: the sentence above is true only when no
    meter alert is still open; an open one is stated as such."""
    if not f.meter_watch:
        return ""
    if not f.meter_alerts:
        return "通过井电双控监测已关停取水井用电情况，未发现异常用电。"
    text = f"通过井电双控监测发现疑似复启取水井{f.meter_alert_wells}眼（预警{f.meter_alerts}次）"
    if f.meter_alerts_open:
        return text + f"，其中{f.meter_alerts_open}次正在由责任单位核查处置。"
    return text + "，均已现场核查处置。"


def _public_reports_sentence(f):
    if not f.public_reports:
        return ""
    closed = f"，已办结{f.public_reports_closed}件" if f.public_reports_closed else "，正在核查处理"
    return f"公开举报渠道共受理群众举报{f.public_reports}件{closed}。"


def _results(f):
    if not f.accepted:
        return ["截至报告日期，尚无取水井完成关停验收销号，关停工作的成效有待显现。" + _groundwater_sentence(f)]
    results = [
        f"已关停并验收销号取水井{f.accepted}眼，相应的地下水开采得到控制。" + _groundwater_sentence(f),
    ]
    if f.publicity_total:
        results.append("通过宣传和政策引导，群众和企业对水资源节约和保护的认识有所提高。")
    return results


def _problems(f):
    problems = []
    if f.overdue_count:
        problems.append(
            (
                "部分取水井超过限期尚未关停",
                f"截至报告日期，有{f.overdue_count}眼取水井超过限期尚未完成关停"
                + (f"，其中{f.enforced}眼已依法强制关停" if f.enforced else "")
                + "，涉及的责任单位和取水井见附表1、附表2。",
            )
        )
    if f.supply_pending:
        problems.append(
            (
                "替代水源接通有待推进",
                f"尚有{f.supply_pending}眼涉及生活用水的取水井未接通替代水源，按照先通水后关停的要求，"
                "须接通后方可断电关停。",
            )
        )
    problems.append(
        (
            "监管力量相对薄弱",
            "取水井分布范围广、数量多，现有的水资源监管队伍人员有限，在取水井关停后的日常监管工作中存在一定难度。",
        )
    )
    return problems


def _next_steps(f):
    steps = []
    if f.to_close > f.accepted:
        steps.append(
            (
                "按期完成剩余关停任务",
                f"督促各责任单位按照台账逐井推进剩余{f.to_close - f.accepted}眼取水井的关停工作，"
                "对超过限期的取水井依法强制关停。",
            )
        )
    if f.supply_pending:
        steps.append(("加快替代水源建设", "加快供水管网等替代水源配套设施建设，确保先通水后关停，保障用水需求。"))
    steps.append(
        (
            "强化监管，巩固工作成果",
            "定期开展巡查检查和“回头看”，利用取水井动态监管平台掌握已关停取水井的情况，发现复启的及时处置。",
        )
    )
    return steps


def _closing_sentence(f):
    if f.to_close and f.accepted >= f.to_close:
        return (
            f"{f.area}应关停的取水井已全部完成关停。下一步，将持续巩固工作成果，为地下水资源的可持续利用提供有力保障。"
        )
    if f.accepted:
        return (
            f"截至报告日期，{f.area}取水井关停完成率{_percent(f.completion_rate)}%。"
            "下一步，将按期完成剩余取水井关停任务，为地下水资源的可持续利用提供保障。"
        )
    return f"下一步，{f.area}将加快推进取水井关停工作，按期完成关停任务。"


def _overdue_annex_sentence(f):
    text = f"共{f.overdue_count}眼，按超期天数由多到少排列"
    if f.overdue_count > len(f.most_overdue):
        text += (
            f"，列出前{len(f.most_overdue)}眼；各责任单位的超期眼数见附表1，完整名单见机井台账导出（按“已超期”筛选）"
        )
    return text + "。"


def _groundwater_sentence(f):
    if f.groundwater_rise_m is None:
        return "截至报告日期，尚无可与去年同期比较的地下水位监测数据。"
    basis = f"（{f.groundwater_wells}眼监测井平均）"
    if f.groundwater_rise_m > 0:
        return (
            f"据监测数据显示，{f.area}地下水位较去年同期有所回升，回升幅度达到{f.groundwater_rise_m}米{basis}，"
            "地下水资源状况得到初步改善。"
        )
    if f.groundwater_rise_m < 0:
        return (
            f"据监测数据显示，{f.area}地下水位较去年同期下降{-f.groundwater_rise_m}米{basis}，"
            "地下水超采治理仍需持续发力。"
        )
    return f"据监测数据显示，{f.area}地下水位与去年同期持平{basis}。"
