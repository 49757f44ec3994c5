"""一井一档 (DESIGN §5): a well's file as a zip — its card, its notice once
served, its acceptance form once accepted, its history, and every
attachment under a readable name — and the files of many wells streamed one
after another into one zip (the campaign archive of ``tasks.archive``).

The zip is written to a pipe and handed on chunk by chunk, so neither a
dossier nor an archive of a hundred thousand wells is ever held in memory:
zipfile writes to a stream it cannot seek in by putting each entry's sizes
after its data. The wells are read in batches of :data:`BATCH`, each batch's
events, attachments and history in one query apiece.
"""

import csv
import io
import json
import re
import zipfile
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import override

from wells.choices import Status
from wells.document import Reused, as_bytes
from wells.models import Attachment, Campaign, Well, WellChange, WellEvent
from wells.reports import acceptance_document, current_notice, notice_document, well_card

ZIP_CONTENT_TYPE = "application/zip"
# Wells read at a time; each batch is a constant number of queries.
BATCH = 200
# Bytes of an attachment copied at a time.
COPY_CHUNK = 256 * 1024
COMPRESSED = (".docx", ".xlsx", ".jpg", ".jpeg", ".png", ".zip", ".pdf")
# What a file name may not hold on Windows, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')

ATTACHMENT_WORDS = {
    "notice": "通知书",
    "revocation": "注销文书",
    "photo": "照片",
    "acceptance": "验收材料",
    "other": "其他",
}
HISTORY_HEADER = ["时间", "经办人", "类别", "变更内容", "备注", "版本"]


def safe_name(text, fallback="未命名"):
    """``text`` as a file or folder name every system takes."""
    name = _UNSAFE.sub("_", str(text)).strip(" .")
    return name[:120] or fallback


class _Pipe:
    """A write-only stream that keeps what zipfile writes until it is taken."""

    def __init__(self):
        self._chunks = []

    def write(self, data):
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream_zip(entries):
    """The zip of ``entries`` — (name, bytes or an open binary file, which is
    read in chunks and closed) — as a generator of byte chunks."""
    pipe = _Pipe()
    archive = zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    stamp = timezone.localtime().timetuple()[:6]
    for name, content in entries:
        info = zipfile.ZipInfo(name, date_time=stamp)
        # Office files and pictures are compressed already: stored as they are.
        info.compress_type = zipfile.ZIP_STORED if name.lower().endswith(COMPRESSED) else zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as target:
            if isinstance(content, bytes):
                target.write(content)
            else:
                with content:
                    for chunk in iter(lambda: content.read(COPY_CHUNK), b""):  # noqa: B023 (used at once)
                        target.write(chunk)
                        yield pipe.take()
        yield pipe.take()
    archive.close()
    yield pipe.take()


def _history_csv(records):
    """The well's history, oldest first, as a CSV that Excel opens in
    Chinese (UTF-8 with its byte-order mark)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HISTORY_HEADER)
    with override("zh-hans"):
        for record in records:
            writer.writerow(
                [
                    timezone.localtime(record.at).strftime("%Y-%m-%d %H:%M:%S"),
                    record.actor_name,
                    record.get_kind_display(),
                    json.dumps(record.changes, ensure_ascii=False, sort_keys=True),
                    record.note,
                    record.version,
                ]
            )
    return "\ufeff".encode() + out.getvalue().encode()


def _attachment_entries(folder, attachments):
    for index, attachment in enumerate(attachments, start=1):
        kind = ATTACHMENT_WORDS.get(attachment.kind, attachment.kind)
        name = f"{folder}/附件/{index:02d}-{kind}-{safe_name(attachment.original_name)}"
        try:
            handle = attachment.file.open("rb")
        except OSError:
            yield f"{name}.缺失.txt", "该附件的文件已不在存储中。\n".encode()
            continue
        yield name, handle


def dossier_entries(wells, *, prefix=""):
    """The zip entries of the files of ``wells`` (a queryset, read in
    batches of :data:`BATCH` by id), each under ``prefix`` + its code."""
    documents, forms = Reused(), Reused()  # forms: with pictures
    wells = wells.select_related("township", "responsible_unit").order_by("pk")
    campaigns = {}
    last = 0
    while True:
        batch = list(wells.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        ids = [well.pk for well in batch]
        missing = {well.campaign_id for well in batch} - campaigns.keys()
        if missing:
            campaigns.update(Campaign.objects.select_related("lead_unit").in_bulk(missing))
        events, attachments, history = defaultdict(list), defaultdict(list), defaultdict(list)
        for event in WellEvent.objects.filter(well__in=ids).order_by("well_id", "pk"):
            events[event.well_id].append(event)
        for attachment in Attachment.objects.filter(well__in=ids).order_by("well_id", "uploaded_at", "pk"):
            attachments[attachment.well_id].append(attachment)
        for record in WellChange.objects.filter(well__in=ids).order_by("well_id", "pk"):
            history[record.well_id].append(record)
        for well in batch:
            campaign = campaigns[well.campaign_id]
            folder = prefix + safe_name(well.code)
            yield f"{folder}/机井档案卡.docx", as_bytes(well_card(well, campaign, events[well.pk], documents=documents))
            if current_notice(events[well.pk]) is not None:
                notice = notice_document([well], events=events, campaigns=campaigns, documents=documents)
                yield f"{folder}/关停通知书.docx", as_bytes(notice)
            if well.status == Status.ACCEPTED:
                yield (
                    f"{folder}/验收单.docx",
                    as_bytes(acceptance_document(well, events=events[well.pk], documents=forms)),
                )
            yield f"{folder}/历史记录.csv", _history_csv(history[well.pk])
            yield from _attachment_entries(folder, attachments[well.pk])


def dossier_name(well):
    return f"一井一档-{safe_name(well.code)}.zip"


def well_dossier(well):
    """The file of one well, as zip chunks."""
    return stream_zip(dossier_entries(Well.objects.filter(pk=well.pk)))
