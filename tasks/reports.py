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
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from tasks.choices import PublicityKind
from tasks.models import GroundwaterReading, PublicityRecord
from wells.choices import Action, Category, InspectionResult, Status
from wells.excel import LABELS
from wells.figures import completion_rate, is_overdue
from wells.models import Inspection, WellEvent
from wells.reports import chinese_date, heading, new_document, page_break, paragraph, saved, table, title

# The field of each action's form that says when it was done.
ACTION_DATE_FIELDS = {
    Action.NOTIFY: "served_on",
    Action.REVOKE_LICENSE: "revoked_on",
    Action.DISCONNECT: "disconnected_on",
    Action.SEAL: "sealed_on",
    Action.ACCEPT: "accepted_on",
}

# A groundwater reading stands for the level on a day when taken within
# this many days before it (monitoring wells are read about monthly).
READING_WINDOW = datetime.timedelta(days=62)

# States in which a visit to a well is a 回头看: the well had been closed.
REVISIT_STATUSES = frozenset({Status.ACCEPTED, Status.REACTIVATED})


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
    overdue: list = field(default_factory=list)


def default_area(campaign):
    """Where the work is done, as the report names it: the lead unit's city
    (昌吉市水利局 → 昌吉市), or 本地."""
    unit = campaign.lead_unit
    if unit is not None:
        for suffix in ("水利局", "水务局", "水利和湖泊局", "水资源局"):
            if unit.name.endswith(suffix) and len(unit.name) > len(suffix):
                return unit.name[: -len(suffix)]
    return "本地"


def work_report_figures(wells, campaign, as_of, area=None):
    """The report's figures over ``wells`` (the caller's scope) of
    ``campaign`` as of the end of ``as_of``."""
    wells = wells.filter(campaign=campaign)
    figures = WorkReportFigures(campaign=campaign, as_of=as_of, area=area or default_area(campaign))

    rows = {}
    for row in wells.values(
        "pk", "code", "owner_name", "category", "status", "deadline", "created_at", "responsible_unit__name"
    ).order_by("code"):
        if timezone.localdate(row["created_at"]) <= as_of:
            rows[row["pk"]] = row
    timelines = {pk: Timeline(row["status"]) for pk, row in rows.items()}
    events = (
        WellEvent.objects.filter(well__in=wells)
        .order_by("well_id", "pk")
        .values_list("well_id", "action", "from_status", "data", "created_at")
    )
    for well_id, action, from_status, data, created_at in events.iterator(chunk_size=5000):
        timeline = timelines.get(well_id)
        if timeline is not None:
            timeline.changes.append((_effective_date(action, data, created_at), from_status))

    units = {}
    by_category = defaultdict(int)
    township_names = dict(wells.values_list("pk", "township__name"))
    for pk, row in rows.items():
        state = timelines[pk].status_on(as_of)
        unit = units.setdefault(row["responsible_unit__name"], UnitProgress(row["responsible_unit__name"]))
        figures.total += 1
        unit.total += 1
        if state == Status.RETAINED:
            figures.retained += 1
            unit.retained += 1
        elif state == Status.ACCEPTED:
            figures.accepted += 1
            unit.accepted += 1
            by_category[row["category"]] += 1
        if is_overdue(state, row["deadline"], as_of):
            unit.overdue += 1
            figures.overdue.append(
                {
                    "code": row["code"],
                    "owner_name": row["owner_name"],
                    "township": township_names.get(pk) or "",
                    "unit": row["responsible_unit__name"],
                    "deadline": row["deadline"],
                    "status": LABELS["status"].get(state, state),
                    "days": (as_of - row["deadline"]).days,
                }
            )
    figures.accepted_by_category = dict(by_category)
    figures.units = sorted(units.values(), key=lambda unit: unit.name)

    reused = set()
    for well_id, inspected_on, result in (
        Inspection.objects.filter(well__in=wells, inspected_on__lte=as_of)
        .values_list("well_id", "inspected_on", "result")
        .iterator(chunk_size=5000)
    ):
        figures.inspections += 1
        timeline = timelines.get(well_id)
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


def work_report(figures):
    """The report as a Word document (an open temporary file at its start)."""
    f = figures
    area = f.area
    day = chinese_date(f.as_of)
    document = new_document()
    title(document, "取水井关停工作报告")
    paragraph(document, f"（截至{day}）", indent=False, align="center")
    basis = f.campaign.name + (f"（{f.campaign.notice_no}）" if f.campaign.notice_no else "")
    paragraph(document, f"依据：{basis}", indent=False, align="center")

    paragraph(
        document,
        f"为深入贯彻落实国家关于水资源保护和合理利用的政策要求，加强水资源管理，推进地下水超采综合治理，"
        f"{area}积极开展取水井关停工作。现将有关工作情况报告如下：",
    )

    heading(document, "一、工作背景")
    paragraph(
        document,
        f"{area}长期以来存在地下水过度开采的现象，导致地下水位持续下降，引发了一系列生态环境问题，"
        "如地面沉降、地裂缝等，对地区的可持续发展构成了严重威胁。为有效遏制地下水超采趋势，改善区域生态环境，"
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
        f"成立了专门的取水井排查工作小组，对全{area}范围内的取水井进行了拉网式排查。通过实地走访、查阅资料、"
        "群众举报等方式，详细掌握了每一口取水井的位置、用途、取水规模、取水许可等信息。经过细致排查，"
        f"共登记取水井{f.total}眼，确定需关停的取水井{f.to_close}眼，为后续工作提供了准确的数据支撑。",
    )
    heading(document, "（二）制定方案，明确责任", level=2)
    paragraph(
        document,
        "结合本地实际情况，制定了详细的取水井关停工作方案。明确了各部门的职责分工，水利部门负责统筹协调、"
        "技术指导和监督检查；自然资源部门负责提供相关地质资料和土地管理方面的支持；环保部门负责对关停过程中的"
        "环境问题进行监管；乡镇政府（街道办事处）作为实施主体，具体负责组织实施本辖区内的取水井关停工作。"
        f"同时，建立了工作台账，将每一口取水井的关停任务分解到{len(f.units)}个责任单位和具体责任人，"
        "确保工作有序推进。",
    )
    heading(document, "（三）广泛宣传，营造氛围", level=2)
    p = f.publicity
    paragraph(
        document,
        "通过多种渠道广泛宣传取水井关停工作的重要意义和相关政策法规。利用电视、报纸、微信公众号等媒体平台发布"
        "公告和宣传信息，在取水井周边村庄、企业张贴宣传标语、发放宣传手册，组织召开村民代表大会和企业座谈会，"
        "向群众和企业负责人耐心解释取水井关停的必要性，争取他们的理解和支持。"
        f"共发布各类宣传信息{p[PublicityKind.POST]}条，张贴宣传标语{p[PublicityKind.SLOGAN]}张，"
        f"发放宣传手册{p[PublicityKind.HANDBOOK]}份，召开会议{p[PublicityKind.MEETING]}次，营造了良好的工作氛围。",
    )
    heading(document, "（四）分类施策，稳步推进", level=2)
    paragraph(document, "针对不同类型的取水井，采取了分类关停措施：")
    by_category = f.accepted_by_category
    paragraph(
        document,
        "1.对未经审批擅自开凿的取水井：依法下达关停通知书，责令取水户限期自行拆除取水设备，并对井口进行封填处理。"
        f"对拒不执行的，依法强制关停。共关停此类取水井{by_category.get(Category.UNLICENSED, 0)}眼。",
    )
    paragraph(
        document,
        "2.对已办理取水许可，但不符合水资源规划和产业政策要求的取水井：按照规定程序，收回取水许可证，"
        "督促取水户在规定时间内完成关停工作。同时，积极引导取水户调整用水方式，改用地表水或其他替代水源。"
        f"共关停此类取水井{by_category.get(Category.LICENSED, 0)}眼。",
    )
    paragraph(
        document,
        "3.对因公共服务、应急等特殊需要暂时保留的取水井：进行登记造册，明确管理责任，加强日常监管，"
        "确保其取水严格控制在规定范围内，并要求取水户制定逐步替代和关停计划。"
        f"共保留此类取水井{f.retained}眼。",
    )
    remaining = f.to_close - f.accepted
    progress = f"截至{day}，已累计关停取水井{f.accepted}眼，完成率达到{_percent(f.completion_rate)}%，"
    if f.to_close and remaining <= 0:
        progress += "应关停的取水井已全部完成关停。"
    else:
        progress += "其余取水井正在按照计划有序推进关停工作。"
    if f.overdue:
        progress += f"其中超过限期尚未完成关停的{len(f.overdue)}眼（见附表2），已督促责任单位加快推进。"
    progress += "各责任单位进度见附表1。"
    paragraph(document, progress)

    heading(document, "（五）加强监管，巩固成果", level=2)
    if f.reuse_found:
        reuse = f"发现已关停取水井重新启用{f.reuse_wells}眼（{f.reuse_found}次），已责令停止取水并重新纳入关停程序。"
    else:
        reuse = "未发现已关停取水井重新启用的情况。"
    paragraph(
        document,
        "建立了取水井关停后的长效监管机制，加强对已关停取水井的巡查检查。定期组织开展“回头看”行动，"
        "防止已关停取水井死灰复燃。同时，加强对地下水水位、水质的监测，及时掌握地下水动态变化情况，"
        f"为水资源管理提供科学依据。共开展巡查检查{f.inspections}次，“回头看”行动{f.revisits}次，{reuse}",
    )

    heading(document, "四、工作成效")
    heading(document, "（一）地下水资源得到有效保护", level=2)
    paragraph(document, "通过取水井关停工作的开展，地下水开采量得到明显控制。" + _groundwater_sentence(f))
    heading(document, "（二）生态环境质量逐步提升", level=2)
    paragraph(
        document,
        "随着地下水位的回升，地面沉降、地裂缝等地质灾害隐患得到有效缓解，区域生态环境质量逐步提升。同时，"
        "关停取水井后，减少了因地下水开采对周边土壤和植被的影响，有利于生态系统的恢复和重建。",
    )
    heading(document, "（三）水资源节约意识显著增强", level=2)
    paragraph(
        document,
        "在取水井关停工作过程中，通过广泛宣传和政策引导，广大群众和企业对水资源节约和保护的认识有了显著提高。"
        "许多取水户主动调整用水结构，采取节水措施，提高水资源利用效率，形成了全社会共同参与水资源保护的良好局面。",
    )

    heading(document, "五、存在问题")
    heading(document, "（一）部分取水户存在抵触情绪", level=2)
    paragraph(
        document,
        "虽然在工作开展过程中进行了大量的宣传解释工作，但仍有部分取水户对取水井关停工作不理解、不支持，"
        "认为关停取水井影响了他们的生产生活用水，存在抵触情绪，给工作推进带来了一定困难。",
    )
    heading(document, "（二）替代水源建设相对滞后", level=2)
    paragraph(
        document,
        "部分地区在关停取水井后，地表水、再生水等替代水源的配套设施建设尚未完全跟上，导致一些用水户在改用"
        "替代水源过程中遇到困难，影响了取水井关停工作的进度。",
    )
    heading(document, "（三）监管力量相对薄弱", level=2)
    paragraph(
        document,
        "取水井分布范围广、数量多，而现有的水资源监管队伍人员有限，技术装备相对落后，在取水井关停后的日常监管"
        "工作中存在一定难度，难以做到全方位、实时监管。",
    )

    heading(document, "六、下一步工作计划")
    heading(document, "（一）加强宣传教育，化解矛盾纠纷", level=2)
    paragraph(
        document,
        "持续加大宣传力度，创新宣传方式，进一步提高群众和企业对取水井关停工作重要性的认识。针对存在抵触情绪的"
        "取水户，安排专人进行一对一沟通交流，耐心倾听他们的诉求，帮助解决实际困难，争取他们的支持与配合。同时，"
        "加强与司法部门的协作，依法处理阻碍取水井关停工作的违法行为，确保工作顺利进行。",
    )
    heading(document, "（二）加快替代水源建设，保障用水需求", level=2)
    paragraph(
        document,
        "加大对替代水源建设的投入力度，加快地表水供水工程、再生水利用设施等建设进度，完善供水管网配套设施，"
        "确保在关停取水井的同时，能够为用水户提供稳定可靠的替代水源。加强对替代水源水质的监测和管理，保障用水安全。",
    )
    heading(document, "（三）强化监管能力建设，巩固工作成果", level=2)
    paragraph(
        document,
        "充实水资源监管队伍力量，加强业务培训，提高监管人员的专业素质和执法水平。加大对监管技术装备的投入，"
        "利用信息化手段，建立取水井动态监管平台，实现对取水井的实时监控和远程管理。同时，进一步完善部门联动机制，"
        "加强水利、自然资源、环保等部门之间的协作配合，形成监管合力，巩固取水井关停工作成果。",
    )
    paragraph(
        document,
        f"总之，{area}取水井关停工作取得了阶段性成效。下一步，将持续巩固工作成果，按期完成剩余取水井关停任务，"
        "为地下水资源的可持续利用提供有力保障。",
    )
    lead = f.campaign.lead_unit
    paragraph(document, "")
    if lead is not None:
        paragraph(document, lead.name, indent=False, align="right")
    paragraph(document, day, indent=False, align="right")

    page_break(document)
    heading(document, "附表1  各责任单位关停进度")
    unit_rows = [
        (u.name, u.total, u.to_close, u.accepted, u.retained, u.overdue, _percent(u.completion_rate)) for u in f.units
    ]
    unit_rows.append(("合计", f.total, f.to_close, f.accepted, f.retained, len(f.overdue), _percent(f.completion_rate)))
    table(
        document,
        ["责任单位", "机井总数", "应关停", "已验收销号", "保留", "超期", "完成率(%)"],
        unit_rows,
        widths=[5, 1.8, 1.8, 2, 1.6, 1.6, 1.8],
    )
    heading(document, "附表2  超过限期尚未完成关停的取水井")
    if f.overdue:
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
                for index, well in enumerate(f.overdue, start=1)
            ],
            widths=[1.1, 2.3, 2.3, 2.0, 2.8, 2.1, 2.0, 1.0],
        )
    else:
        paragraph(document, "截至报告日期，无超过限期尚未完成关停的取水井。")
    return saved(document)


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
