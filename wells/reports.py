"""Word documents of a well's closure, ready to sign and send: the closure
notice (关停通知书), for one well or a batch in one file, and the acceptance
form (验收单) with its sealing photos, in the national format of
:mod:`wells.document`.

The documents are Chinese government paperwork whatever language the site
speaks, so their text is written here in Chinese, like the Excel format in
:mod:`wells.excel`. A notice says what its notify event says — its number,
the day it was served and the one comply-by date the owner was given; a well
not yet served gets a draft marked as such, never a date no one decided.
"""

import datetime
import io
import logging
from collections import defaultdict

from django.utils import timezone
from docx.shared import Cm
from PIL import Image, ImageOps

from wells.choices import Action, AttachmentKind, Category, Status, Use
from wells.document import (
    BLANK_DATE,
    DOCX_CONTENT_TYPE,
    SIZE_4,
    SIZE_5,
    addressee,
    annex_heading,
    chinese_date,
    document_number,
    new_document,
    paragraph,
    saved,
    signature,
    table,
    title,
)
from wells.excel import LABELS
from wells.models import Attachment, Campaign, WellEvent
from wells.workflow import PHOTO_CONTENT_TYPES, standing_events

__all__ = [
    "ACTION_DATE_FIELDS",
    "DOCX_CONTENT_TYPE",
    "acceptance_document",
    "acceptance_form",
    "closure_notice",
    "current_notice",
    "default_area",
    "notice_document",
    "place",
    "standing_actions",
    "well_card",
]

logger = logging.getLogger(__name__)

NOTICE_TITLE = "机电井关停通知书"
# The field of each action's form that says when it was done.
ACTION_DATE_FIELDS = {
    Action.NOTIFY: "served_on",
    Action.REVOKE_LICENSE: "revoked_on",
    Action.DISCONNECT: "disconnected_on",
    Action.SEAL: "sealed_on",
    Action.ACCEPT: "accepted_on",
}
DRAFT_MARK = "（草稿）"
# Photos printed on an acceptance form, at most; the form says how many more.
MAX_FORM_PHOTOS = 6
THUMBNAIL_PIXELS = 800
# A table of facts two to a row: the labels (停止取水期限) on one line.
FACT_WIDTHS = [3.0, 4.8, 3.0, 4.8]
THUMBNAIL_WIDTH = Cm(7.2)


# What a well's history says ---------------------------------------------------


def standing_actions(well, events=None):
    """The newest standing event of each action, {action: event}: reverted
    actions do not count. ``events``: the well's events oldest first, when
    the caller read them already."""
    if events is None:
        events = well.events.order_by("pk")
    return {event.action: event for event in standing_events(events)}


def _events_by_well(wells):
    """Every well's events, oldest first, in one query."""
    events = defaultdict(list)
    for event in WellEvent.objects.filter(well__in=[well.pk for well in wells]).order_by("well_id", "pk"):
        events[event.well_id].append(event)
    return events


def _data_date(event, name):
    value = (event.data or {}).get(name) if event else None
    try:
        return datetime.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def default_area(campaign):
    """Where the work is done, as documents name it: the lead unit's city
    (昌吉市水利局 → 昌吉市), or 本地."""
    unit = campaign.lead_unit
    if unit is not None:
        for suffix in ("水利局", "水务局", "水利和湖泊局", "水资源局"):
            if unit.name.endswith(suffix) and len(unit.name) > len(suffix):
                return unit.name[: -len(suffix)]
    return "本地"


def issuer(well, campaign):
    """Who signs the well's documents: the campaign's lead unit (the
    bureau), or the well's responsible unit when the campaign names none."""
    return campaign.lead_unit.name if campaign.lead_unit_id else well.responsible_unit.name


def place(well):
    """Where the well is, as a person writes it: 中山路街道一村, not
    中山路街道中山路街道一村 when the village already says its township;
    empty when neither is recorded."""
    township = well.township.name if well.township_id else ""
    village = (well.village or "").strip()
    if village.startswith(township):
        return village
    return township + village


def _coordinates(well):
    if well.lat is None or well.lng is None:
        return "未登记"
    return f"东经{well.lng}°，北纬{well.lat}°"


def _uses(well):
    return "、".join(LABELS["uses"].get(use, use) for use in well.uses) or "未登记"


def _depth(well):
    return f"{well.depth_m}米" if well.depth_m is not None else "未登记"


def _well_facts(well):
    return [
        ("机井编码", well.code),
        ("取水户名称", well.owner_name),
        ("取水户类型", LABELS["owner_kind"].get(well.owner_kind, well.owner_kind)),
        ("位置", place(well) or "未登记"),
        ("坐标", _coordinates(well)),
        ("所在区域", LABELS["zone"].get(well.zone, well.zone)),
        ("用途", _uses(well)),
        ("井深", _depth(well)),
        ("电表号", well.meter_no or "无"),
        ("取水许可证号", well.license_no or "无"),
        ("类别", LABELS["category"].get(well.category, well.category)),
        ("责任单位", well.responsible_unit.name),
        ("责任人", well.responsible_person or "未登记"),
    ]


def _paired(facts):
    """Facts two to a row, as the notice's table prints them."""
    half = (len(facts) + 1) // 2
    right = facts[half:] + [("", "")] * (2 * half - len(facts))
    return [(*first, *second) for first, second in zip(facts[:half], right, strict=True)]


# The closure notice ----------------------------------------------------------


def closure_notice(wells):
    """One closure notice per well, each on its own pages with a receipt for
    the owner's signature, in one document (an open temporary file). Three
    queries whatever the number of wells: the wells' events and their
    campaigns."""
    return saved(notice_document(wells))


def notice_document(wells, *, events=None, campaigns=None, documents=None):
    """:func:`closure_notice` as a python-docx document; ``events`` (by well
    id) and ``campaigns`` (by id) when the caller read them already,
    ``documents`` a :class:`wells.document.Reused` to write it in."""
    wells = list(wells)
    if events is None:
        events = _events_by_well(wells)
    if campaigns is None:
        campaigns = Campaign.objects.select_related("lead_unit").in_bulk({well.campaign_id for well in wells})
    author = issuer(wells[0], campaigns[wells[0].campaign_id]) if wells else ""
    new = documents.new if documents is not None else new_document
    document = new(author=author, title_text=NOTICE_TITLE, compact=len(wells) > 1)
    for index, well in enumerate(wells):
        _write_notice(document, well, campaigns[well.campaign_id], events[well.pk], new_page=index > 0)
    return document


def current_notice(events):
    """The notify event that stands for the well's current round of closure
    work, or None: a well found in use again after acceptance (reactivate)
    needs a new notice."""
    notice = None
    for event in standing_events(events):
        if event.action == Action.NOTIFY:
            notice = event
        elif event.action in (Action.REACTIVATE, Action.RELEASE):
            notice = None
    return notice


def _write_notice(document, well, campaign, events, *, new_page):
    notify = current_notice(events)
    served = notify is not None
    notice_no = (notify.data or {}).get("notice_no", "") if served else ""
    served_on = _data_date(notify, "served_on")
    comply_by = _data_date(notify, "comply_by")
    signer = issuer(well, campaign)
    where = place(well)

    title(document, NOTICE_TITLE if served else NOTICE_TITLE + DRAFT_MARK, new_page=new_page)
    if served:
        document_number(document, notice_no)
    else:
        paragraph(
            document,
            "本井尚未下达关停通知。本稿仅供核对，文号、送达日期和停止取水期限在下达时确定，不得送达。",
            indent=False,
            bold=True,
        )
    addressee(document, well.owner_name)
    zone = LABELS["zone"].get(well.zone, well.zone)
    paragraph(
        document,
        f"经排查，你（单位）{'位于' + where if where else ''}的机井（机井编码：{well.code}，基本情况见附件）"
        f"地处地下水{zone}。根据《中华人民共和国水法》《地下水管理条例》和{campaign.cited_plan}的要求，"
        "该井须依法关停。",
    )
    if well.category == Category.LICENSED and well.license_no:
        paragraph(document, f"该井持有取水许可证（{well.license_no}），水行政主管部门将依法注销该取水许可。")
    if Use.DOMESTIC in well.uses:
        paragraph(document, "该井涉及生活用水，关停前将先行接通替代水源，保障正常生活用水（先通水后关停）。")
    paragraph(
        document,
        f"请你（单位）于{chinese_date(comply_by)}前自行停止取水、拆除取水设备，并配合做好断电和封填工作。"
        "逾期不执行的，将依法强制关停。",
    )
    paragraph(
        document,
        "如对本通知不服，可以自收到本通知之日起六十日内依法向"
        f"{default_area(campaign)}人民政府申请行政复议，或者自收到本通知之日起六个月内依法向人民法院提起行政诉讼。",
    )
    contact = f"联系单位：{signer}" + (f"；联系方式：{campaign.contact}" if campaign.contact else "")
    paragraph(document, contact + "。")
    # The last lines of the body go with the signature: a 落款 is never alone on its page.
    paragraph(document, "特此通知。").paragraph_format.keep_with_next = True
    paragraph(document, "附件：机井基本情况").paragraph_format.keep_with_next = True
    signature(document, signer, served_on)

    annex_heading(document, "附件")
    facts = _well_facts(well) + [("停止取水期限", chinese_date(comply_by))]
    table(document, None, _paired(facts), widths=FACT_WIDTHS, bold_columns=(0, 2), whole_columns=(0, 2))

    # The receipt is kept by whoever serves the notice: a page of its own.
    title(document, "送达回执", new_page=True)
    table(
        document,
        None,
        [
            ("文书名称", f"{NOTICE_TITLE}（{notice_no}）" if notice_no else NOTICE_TITLE + DRAFT_MARK),
            ("受送达人", well.owner_name),
            ("机井编码", well.code),
            ("送达地点", where or "　"),
            ("送达日期", chinese_date(served_on)),
            ("受送达人签收", "\n\n"),
            ("送达人签名", "\n\n"),
            ("备注", "\n"),
        ],
        widths=[4, 11.6],
        font_size=SIZE_4,
        bold_columns=(0,),
    )


# The well's card ---------------------------------------------------------------

STEP_DETAILS = {
    Action.NOTIFY: ("notice_no", "comply_by"),
    Action.REVOKE_LICENSE: ("revocation_no",),
    Action.SEAL: ("method",),
    Action.ACCEPT: ("inspectors",),
    Action.RETAIN: ("reason", "review_on"),
    Action.RELEASE: ("reason",),
    Action.REACTIVATE: ("reason", "deadline"),
    Action.ESCALATE: ("reason",),
}
DETAIL_LABELS = {
    "notice_no": "文号",
    "comply_by": "停止取水期限",
    "revocation_no": "注销文号",
    "method": "封填方式",
    "inspectors": "验收人员",
    "reason": "理由",
    "review_on": "复核日期",
    "deadline": "新限期",
}


# Each step as the card names it (a document in Chinese whatever the site speaks).
ACTION_WORDS = {
    Action.NOTIFY: "下达关停通知",
    Action.REVOKE_LICENSE: "注销取水许可",
    Action.DISCONNECT: "断电拆除",
    Action.SEAL: "封填",
    Action.ACCEPT: "验收销号",
    Action.RETAIN: "保留",
    Action.RELEASE: "取消保留",
    Action.REACTIVATE: "复启待处置",
    Action.ESCALATE: "强制关停",
}


def _step_date(event):
    """The day a step was done: the day its form names, or the day it was recorded."""
    return _data_date(event, ACTION_DATE_FIELDS.get(event.action, "")) or timezone.localdate(event.created_at)


def well_card(well, campaign, events, *, documents=None):
    """The well's card (机井档案卡) at the head of its file: its facts, where
    its closure stands, and every step that still stands, with its date,
    what it recorded and who recorded it."""
    new = documents.new if documents is not None else new_document
    document = new(author=issuer(well, campaign), title_text="机井档案卡", compact=True)
    title(document, "机井档案卡")
    paragraph(document, f"所属行动：{campaign.cited_plan}", indent=False)
    facts = _well_facts(well) + [
        ("限期", chinese_date(well.deadline) if well.deadline else "未定"),
        ("当前状态", LABELS["status"].get(well.status, well.status) + ("（强制关停）" if well.enforced else "")),
        ("替代水源接通", _supply(well)),
    ]
    table(document, None, _paired(facts), widths=FACT_WIDTHS, bold_columns=(0, 2), whole_columns=(0, 2))
    paragraph(document, "")
    steps = [
        (
            chinese_date(
                _data_date(event, ACTION_DATE_FIELDS.get(event.action, "")) or timezone.localdate(event.created_at)
            ),
            ACTION_WORDS.get(event.action, event.action),
            "；".join(
                f"{DETAIL_LABELS[name]}：{(event.data or {}).get(name)}"
                for name in STEP_DETAILS.get(event.action, ())
                if (event.data or {}).get(name)
            )
            or "—",
            event.actor_name,
        )
        for event in standing_events(events)
    ]
    if steps:
        table(document, ["日期", "环节", "记录", "经办人"], steps, widths=[3.4, 3, 6.6, 2.6], whole_columns=(0,))
    else:
        paragraph(document, "尚无办理记录。", indent=False)
    return document


# The acceptance form -----------------------------------------------------------


def _supply(well):
    if well.supply_connected_on:
        return chinese_date(well.supply_connected_on)
    return "未接通" if Use.DOMESTIC in well.uses else "不涉及（无生活用水）"


def sealing_photos(well, seal):
    """The photos the acceptance form lists: those the seal was recorded
    with, or every photo of the well when the seal names none."""
    photos = Attachment.objects.filter(well=well, kind=AttachmentKind.PHOTO, content_type__in=PHOTO_CONTENT_TYPES)
    if seal is not None and photos.filter(event=seal).exists():
        photos = photos.filter(event=seal)
    return list(photos.order_by("uploaded_at", "pk"))


def acceptance_form(well):
    """The acceptance form of ``well`` as an open temporary file."""
    return saved(acceptance_document(well))


def acceptance_document(well, *, events=None, documents=None):
    """The acceptance form (验收单) of a well's closure: its facts, each step
    as recorded, the acceptance when done, room for the signatures and
    seals, and the sealing photos it lists, as thumbnails."""
    campaign = Campaign.objects.select_related("lead_unit").get(pk=well.campaign_id)
    actions = standing_actions(well, events)
    notify = actions.get(Action.NOTIFY)
    revoke = actions.get(Action.REVOKE_LICENSE)
    disconnect = actions.get(Action.DISCONNECT)
    seal = actions.get(Action.SEAL) if well.status in (Status.SEALED, Status.ACCEPTED) else None
    accept = actions.get(Action.ACCEPT) if well.status == Status.ACCEPTED else None
    photos = sealing_photos(well, seal)
    printed = photos[:MAX_FORM_PHOTOS]

    new = documents.new if documents is not None else new_document
    document = new(author=issuer(well, campaign), title_text="机电井关停验收单", compact=True)
    title(document, "地下水禁采区机电井关停验收单")
    paragraph(document, f"机井编码：{well.code}", indent=False, align="right")
    if len(photos) > len(printed):
        photo_text = f"{len(photos)}张，附前{len(printed)}张（见附页）"
    else:
        photo_text = f"{len(photos)}张（见附页）" if photos else "无"
    rows = list(_well_facts(well))
    rows += [
        (
            "关停通知书",
            f"{notify.data.get('notice_no', '')}，{chinese_date(_data_date(notify, 'served_on'))}送达"
            if notify
            else "未送达",
        ),
        (
            "取水许可注销",
            (
                f"{revoke.data.get('revocation_no', '')}，{chinese_date(_data_date(revoke, 'revoked_on'))}注销"
                if revoke
                else "未注销"
            )
            if well.license_no
            else "不涉及（无取水许可）",
        ),
        ("替代水源接通", _supply(well)),
        ("断电拆除", chinese_date(_data_date(disconnect, "disconnected_on")) if disconnect else "未完成"),
        (
            "封填",
            f"{chinese_date(_data_date(seal, 'sealed_on'))}，{seal.data.get('method', '')}" if seal else "未完成",
        ),
        ("现场照片", photo_text),
        (
            "验收意见",
            "经现场核查，该井已停止取水，设备已拆除，井口已按标准封填，同意验收销号。" if accept else "\n",
        ),
        ("验收日期", chinese_date(_data_date(accept, "accepted_on")) if accept else BLANK_DATE),
        ("验收人员", accept.data.get("inspectors", "") if accept else "\n"),
    ]
    table(document, None, rows, widths=[3.6, 12], bold_columns=(0,))
    paragraph(document, "")
    table(
        document,
        ["实施单位（盖章）", "供电单位（盖章）", "水行政主管部门（盖章）"],
        [(well.responsible_unit.name, "", issuer(well, campaign)), ("\n\n签字：", "\n\n签字：", "\n\n签字：")],
        widths=[5.2, 5.2, 5.2],
    )
    if printed:
        _photo_pages(document, well, printed)
    return document


def _photo_pages(document, well, photos):
    """The photos two to a row, each with its name and the day it was taken
    or uploaded, on pages after the form."""
    title(document, f"现场照片（机井编码：{well.code}）", new_page=True)
    grid = table(document, None, [("", "")] * ((len(photos) + 1) // 2), widths=[7.8, 7.8])
    cells = [cell for row in grid.rows for cell in row.cells]
    for cell, photo in zip(cells, photos, strict=False):
        thumbnail = _thumbnail(photo)
        para = cell.paragraphs[0]
        if thumbnail is not None:
            para.runs[0].add_picture(thumbnail, width=THUMBNAIL_WIDTH)
        else:
            para.runs[0].text = "（照片无法读取）"
        taken = photo.exif_taken_at or photo.uploaded_at
        caption = cell.add_paragraph(f"{photo.original_name}　{chinese_date(timezone.localdate(taken))}")
        caption.runs[0].font.size = SIZE_5


def _thumbnail(photo):
    """A JPEG of the photo at most :data:`THUMBNAIL_PIXELS` wide or high, the
    right way up; None when the stored file cannot be read as an image."""
    try:
        with photo.file.open("rb") as handle, Image.open(handle) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82)
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("The photo %s of well %s could not be read for its acceptance form.", photo.pk, photo.well_id)
        return None
    out.seek(0)
    return out
