"""How fast the inventory import and the ledger export are, and how much
memory they take, next to django-import-export doing the same job on the
same data. Not a test: it prints figures for docs/benchmarks-excel.md.

    .venv/bin/python bench/excel_bench.py [--import-rows 10000] [--export-rows 100000]
        [--database-url postgres://…/scratch]

The jobs run one by one, each in a fresh Python process, so that each one's
peak resident memory (ru_maxrss) is its own. The data lives in a throwaway
SQLite file unless --database-url names a scratch database (its tables are
created with migrate, and its wells are deleted).

- import, ours: ``wells.excel.import_wells`` on a workbook of the template's
  17 columns (labels, township and unit names, uses such as 生活、农灌, dates
  as date cells), read by python-calamine in the bounded child process
  (``wells.excel.workbook``): every row checked, then bulk inserts in one
  transaction.
- read, calamine and read, hand-written: the same workbook's sheets read
  (rows and merged cells) by ``wells.excel.workbook.read_workbook`` (the
  child process, as the import does) and by the hand-written reader the
  import used before (``bench/handwritten_reader.py``); with ``--hostile``
  also on the hostile files of tests/test_import_hostile.py, the
  hand-written one stopped after 60 s.
- import, django-import-export: a ModelResource with the same columns, the
  same labels and lookups (ForeignKeyWidget by name), ``use_bulk`` and
  ``skip_diff`` on (its documented fast path), reading the same file through
  tablib.
- export, ours: the API's export, ``wells.excel.export_wells`` (the wells'
  values read in one query and streamed into the sheet's XML by
  ``wells.xlsx``, summary sheet) over the wells of one campaign.
- export, django-import-export: ``resource.export(queryset)`` then tablib's
  xlsx writer, over the same wells.

django-import-export is installed from requirements-dev.txt for this only.
"""

import argparse
import datetime
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_PREFIX = "B-"
EXPORT_PREFIX = "E-"
TOWNSHIPS = [("binhu", "滨湖镇"), ("miaoergou", "庙尔沟乡"), ("jianguolu", "建国路街道"), ("zhongshanlu", "中山路街道")]


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellclosure.settings")
    import django

    django.setup()


def remove_scratch_wells(prefix):
    """Delete the benchmark's own scratch wells and what the doors wrote
    with them (tasks, retain events, history records): they protect their
    well, as they should anywhere but in a benchmark's scratch rows."""
    from tasks.models import Task
    from wells.models import Well, WellChange, WellEvent

    wells = Well.objects.filter(code__startswith=prefix)
    Task.objects.filter(well__in=wells).delete()
    WellChange.objects.filter(well__in=wells).delete()
    WellEvent.objects.filter(well__in=wells)._raw_delete(WellEvent.objects.db)
    wells.delete()


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Jobs, each run in its own process -------------------------------------------------


def inventory_workbook(count, townships, *, prefix, title, origin, region, meter_prefix, deadline):
    """An inventory workbook of ``count`` new wells in the contract's columns,
    under a title row as real files have, spread over ``townships``; the
    coordinates start at ``origin`` (lng, lat). Used by this script and by
    bench/run.py, so both import the same kind of file."""
    from openpyxl import Workbook

    from wells.excel import HEADERS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("机井台账")
    sheet.append([title])
    sheet.append(list(HEADERS))
    lng, lat = origin
    for n in range(count):
        township = townships[n % len(townships)]
        sheet.append(
            [
                f"{prefix}{n:06d}",
                f"取水户{n}",
                ["个人", "企业", "事业单位/机关", "村集体"][n % 4],
                township.name,
                f"{n % 30}村",
                round(lng + (n % 1000) / 10000, 6),
                round(lat + (n % 700) / 10000, 6),
                "禁采区",
                ["农灌", "生活、农灌", "绿化", "工业"][n % 4],
                80 + n % 50,
                f"取水({region})字〔2015〕第{n:05d}号" if n % 5 == 0 else None,
                f"{meter_prefix}{n:05d}",
                "有证不合规" if n % 5 == 0 else "未经审批",
                township.government.name,
                "张三",
                deadline,
                None,
            ]
        )
    return book


def job_setup(workdir, import_rows, export_rows):
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.choices import UnitKind
    from accounts.models import Unit
    from tasks.choices import Step
    from tasks.models import Duty
    from wells.choices import Category, OwnerKind, Use, Zone
    from wells.models import Campaign, Township, Well

    remove_scratch_wells(IMPORT_PREFIX)
    remove_scratch_wells(EXPORT_PREFIX)
    townships = []
    for code, name in TOWNSHIPS:
        unit, _ = Unit.objects.get_or_create(name=f"{name}政府", defaults={"kind": UnitKind.TOWNSHIP})
        township, _ = Township.objects.get_or_create(code=code, defaults={"name": name, "government": unit})
        townships.append(township)
    import_campaign, _ = Campaign.objects.get_or_create(name="基准测试-导入", defaults={"issued_on": "2022-03-14"})
    export_campaign, _ = Campaign.objects.get_or_create(name="基准测试-导出", defaults={"issued_on": "2022-03-13"})
    # The same file once more into a campaign with the Changji plan's six
    # duties, so that each new well also gets its tasks in the import's
    # transaction, as it does in a real campaign (each step held by the
    # well's responsible unit). The campaign above has no duties: the
    # figure to set beside django-import-export, which writes wells only.
    tasks_campaign, _ = Campaign.objects.get_or_create(name="基准测试-导入含任务", defaults={"issued_on": "2022-03-15"})
    for step, days in zip(Step.values, [180, 120, 90, 60, 30, 0], strict=True):
        Duty.objects.get_or_create(campaign=tasks_campaign, step=step, defaults={"days_before_deadline": days})

    inventory_workbook(
        import_rows,
        townships,
        prefix=IMPORT_PREFIX,
        title="昌吉市地下水禁采区机电井关停信息统计明细表",
        origin=(87.2, 44.0),
        region="昌",
        meter_prefix="65300100",
        deadline=datetime.date(2023, 11, 30),
    ).save(workdir / "import.xlsx")

    Well.objects.bulk_create(
        (
            Well(
                code=f"{EXPORT_PREFIX}{n:06d}",
                owner_name=f"取水户{n}",
                owner_kind=OwnerKind.PERSON,
                township=townships[n % len(townships)],
                village=f"{n % 30}村",
                lat=f"{44 + (n % 700) / 10000:.6f}",
                lng=f"{87.2 + (n % 1000) / 10000:.6f}",
                zone=Zone.PROHIBITED,
                uses=[Use.DOMESTIC, Use.IRRIGATION] if n % 2 else [Use.IRRIGATION],
                depth_m=80 + n % 50,
                meter_no=f"65300100{n:05d}",
                responsible_unit=townships[n % len(townships)].government,
                responsible_person="张三",
                deadline=datetime.date(2023, 11, 30),
                campaign=export_campaign,
                category=Category.UNLICENSED,
            )
            for n in range(export_rows)
        ),
        batch_size=2000,
    )
    return {
        "import_campaign": import_campaign.pk,
        "tasks_campaign": tasks_campaign.pk,
        "export_campaign": export_campaign.pk,
    }


def job_read_calamine(workdir, campaign_id):
    from wells.excel import workbook

    data = (workdir / "import.xlsx").read_bytes()
    started = time.perf_counter()
    sheets = workbook.read_workbook(data, workbook.XLSX, seconds=60)
    seconds = time.perf_counter() - started
    return {"rows": len(sheets[0].rows) - 2, "seconds": seconds, "baseline_mb": 0, "peak_mb": rss_mb()}


def job_read_handwritten(workdir, campaign_id):
    import handwritten_reader  # bench/ is this script's own directory

    started = time.perf_counter()
    with open(workdir / "import.xlsx", "rb") as handle:
        sheets = handwritten_reader.read_all(handle, width=17)
    seconds = time.perf_counter() - started
    return {"rows": len(sheets[0][1]) - 2, "seconds": seconds, "baseline_mb": 0, "peak_mb": rss_mb()}


def hostile_reads():
    """Each hostile file of the tests read by both readers: seconds, and
    how each ended (refused, read, or stopped after 60 s)."""
    sys.path.insert(0, str(ROOT))
    from tests.test_import_hostile import HOSTILE
    from wells.excel import workbook

    lines = ["| hostile file | size KB | calamine (child, bounded) | hand-written reader |", "|---|---:|---|---|"]
    for name, (make, _message) in sorted(HOSTILE.items()):
        content = make()
        path = Path(tempfile.mkstemp(suffix=".xlsx")[1])
        path.write_bytes(content)
        started = time.perf_counter()
        try:
            kind = workbook.check_zip(content)
            workbook.read_workbook(content, kind, seconds=5)
            ours = "read"
        except workbook.Refused as refused:
            ours = f"refused ({refused.reason})"
        ours_seconds = time.perf_counter() - started
        started = time.perf_counter()
        code = (
            "import sys; sys.path.insert(0, 'bench'); import handwritten_reader as h; "
            f"h.read_all(open({str(path)!r}, 'rb'))"
        )
        try:
            done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
            theirs = "read" if done.returncode == 0 else "failed"
        except subprocess.TimeoutExpired:
            theirs = "stopped"
        theirs_seconds = time.perf_counter() - started
        path.unlink()
        lines.append(
            f"| {name} | {len(content) / 1024:,.0f} | {ours_seconds:.2f} s, {ours} "
            f"| {'> 60' if theirs == 'stopped' else f'{theirs_seconds:.2f}'} s, {theirs} |"
        )
    return lines


def bench_importer():
    """The bureau user who imports: the import refuses new wells for a
    campaign out of the importer's reach (wells.scope), and nobody's reach
    is none."""
    from django.contrib.auth.models import Group

    from accounts.choices import Role, UnitKind
    from accounts.models import Unit, User

    bureau, _ = Unit.objects.get_or_create(name="基准测试水利局", defaults={"kind": UnitKind.BUREAU})
    user, _ = User.objects.get_or_create(username="bench-import", defaults={"unit": bureau})
    # The role is the user's group (DESIGN §4).
    user.groups.add(Group.objects.get(name=Role.BUREAU_STAFF))
    return user


def job_import_api(workdir, campaign_id):
    """The same file through POST /api/v1/imports/wells/ (Django's test
    client, a bureau user): what bench/run.py's import job measures."""
    from django.test import Client

    from wells.models import Well

    remove_scratch_wells(IMPORT_PREFIX)
    user = bench_importer()
    client = Client()
    client.force_login(user)
    # A warm worker: the URLconf, DRF and the views are imported by the
    # first request of a process (half a second), not by every import.
    assert client.get("/api/v1/imports/wells/template/", secure=True).status_code == 200
    baseline = rss_mb()
    with open(workdir / "import.xlsx", "rb") as handle:
        started = time.perf_counter()
        # The production settings redirect plain HTTP to HTTPS.
        response = client.post("/api/v1/imports/wells/", {"file": handle, "campaign": campaign_id}, secure=True)
        seconds = time.perf_counter() - started
    assert response.status_code == 200, (response.status_code, response.content[:500], response.headers)
    created = Well.objects.filter(code__startswith=IMPORT_PREFIX).count()
    return {"rows": created, "seconds": seconds, "baseline_mb": baseline, "peak_mb": rss_mb()}


def job_import_ours(workdir, campaign_id):
    from django.core.files import File

    from wells.excel import import_wells
    from wells.models import Campaign, Well

    remove_scratch_wells(IMPORT_PREFIX)
    campaign = Campaign.objects.get(pk=campaign_id)
    user = bench_importer()
    baseline = rss_mb()
    started = time.perf_counter()
    with open(workdir / "import.xlsx", "rb") as handle:
        upload = File(handle, name="import.xlsx")
        result = import_wells(upload, campaign=campaign, actor=user)
    seconds = time.perf_counter() - started
    assert not result.errors, result.errors[:5]
    assert Well.objects.filter(code__startswith=IMPORT_PREFIX).count() == result.created
    return {"rows": result.created, "seconds": seconds, "baseline_mb": baseline, "peak_mb": rss_mb()}


def _resource_class(campaign_id):
    from import_export import fields, resources, widgets

    from accounts.models import Unit
    from wells.excel import LABELS
    from wells.models import Township, Well

    class LabelWidget(widgets.Widget):
        def __init__(self, name):
            super().__init__()
            self.labels = LABELS[name]
            self.codes = {label: code for code, label in self.labels.items()}

        def clean(self, value, row=None, **kwargs):
            return self.codes.get(value, value) if value else ""

        def render(self, value, obj=None, **kwargs):
            return self.labels.get(value, value)

    class UsesWidget(LabelWidget):
        def clean(self, value, row=None, **kwargs):
            return [self.codes[part] for part in re.split(r"[、,，;；/\s]+", value or "") if part]

        def render(self, value, obj=None, **kwargs):
            return "、".join(self.labels.get(use, use) for use in value)

    def text(attribute, header):
        return fields.Field(attribute=attribute, column_name=header, widget=widgets.CharWidget())

    class WellResource(resources.ModelResource):
        code = text("code", "机井编码")
        owner_name = text("owner_name", "取水户名称")
        owner_kind = fields.Field(attribute="owner_kind", column_name="取水户类型", widget=LabelWidget("owner_kind"))
        township = fields.Field(
            attribute="township", column_name="乡镇(街道)", widget=widgets.ForeignKeyWidget(Township, "name")
        )
        village = text("village", "村(社区)")
        lng = fields.Field(attribute="lng", column_name="经度", widget=widgets.DecimalWidget())
        lat = fields.Field(attribute="lat", column_name="纬度", widget=widgets.DecimalWidget())
        zone = fields.Field(attribute="zone", column_name="所在区域", widget=LabelWidget("zone"))
        uses = fields.Field(attribute="uses", column_name="用途", widget=UsesWidget("uses"))
        depth_m = fields.Field(attribute="depth_m", column_name="井深(米)", widget=widgets.DecimalWidget())
        license_no = text("license_no", "取水许可证号")
        meter_no = text("meter_no", "电表号")
        category = fields.Field(attribute="category", column_name="类别", widget=LabelWidget("category"))
        responsible_unit = fields.Field(
            attribute="responsible_unit", column_name="责任单位", widget=widgets.ForeignKeyWidget(Unit, "name")
        )
        responsible_person = text("responsible_person", "责任人")
        deadline = fields.Field(attribute="deadline", column_name="限期", widget=widgets.DateWidget())
        note = text("note", "备注")
        status = fields.Field(attribute="status", column_name="状态", widget=LabelWidget("status"), readonly=True)

        class Meta:
            model = Well
            import_id_fields = ("code",)
            fields = (
                "code",
                "owner_name",
                "owner_kind",
                "township",
                "village",
                "lng",
                "lat",
                "zone",
                "uses",
                "depth_m",
                "license_no",
                "meter_no",
                "category",
                "responsible_unit",
                "responsible_person",
                "deadline",
                "note",
                "status",
            )
            use_bulk = True
            batch_size = 500
            skip_diff = True
            chunk_size = 2000

        def before_save_instance(self, instance, row, **kwargs):
            instance.campaign_id = campaign_id

    return WellResource


def job_import_iex(workdir, campaign_id):
    import tablib

    from wells.models import Well

    remove_scratch_wells(IMPORT_PREFIX)
    resource_class = _resource_class(campaign_id)
    baseline = rss_mb()
    started = time.perf_counter()
    with open(workdir / "import.xlsx", "rb") as handle:
        # The title row above the header: tablib takes it as skip_lines.
        dataset = tablib.Dataset().load(handle, format="xlsx", skip_lines=1)
    result = resource_class().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    seconds = time.perf_counter() - started
    created = Well.objects.filter(code__startswith=IMPORT_PREFIX).count()
    assert not result.has_errors() and not result.has_validation_errors()
    return {"rows": created, "seconds": seconds, "baseline_mb": baseline, "peak_mb": rss_mb()}


def job_export_ours(workdir, campaign_id):
    from wells.excel import export_wells
    from wells.models import Well

    wells = Well.objects.filter(campaign_id=campaign_id)
    baseline = rss_mb()
    started = time.perf_counter()
    handle = export_wells(wells.order_by("code"), wells.summary_by_unit(), wells.summary_counts())
    size = len(handle.read())
    seconds = time.perf_counter() - started
    return {"rows": wells.count(), "seconds": seconds, "baseline_mb": baseline, "peak_mb": rss_mb(), "bytes": size}


def job_export_iex(workdir, campaign_id):
    from wells.models import Well

    wells = Well.objects.filter(campaign_id=campaign_id).order_by("code").select_related("township", "responsible_unit")
    resource_class = _resource_class(campaign_id)
    baseline = rss_mb()
    started = time.perf_counter()
    content = resource_class().export(queryset=wells).export("xlsx")
    seconds = time.perf_counter() - started
    size = len(content)
    return {"rows": wells.count(), "seconds": seconds, "baseline_mb": baseline, "peak_mb": rss_mb(), "bytes": size}


JOBS = {
    "read-calamine": job_read_calamine,
    "read-handwritten": job_read_handwritten,
    "import-ours": job_import_ours,
    "import-api": job_import_api,
    "import-api-with-tasks": job_import_api,
    "import-iex": job_import_iex,
    "export-ours": job_export_ours,
    "export-iex": job_export_iex,
}


# The runner ------------------------------------------------------------------------


def run_child(args, env):
    done = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(args[:2])} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="a scratch database (default: a throwaway SQLite file)")
    parser.add_argument("--repeat", type=int, default=1, help="run each job this many times and keep the fastest")
    parser.add_argument("--hostile", action="store_true", help="also read the hostile files with both readers")
    parser.add_argument("--results", help="also write the figures, every run's and the load, to this JSON file")
    parser.add_argument("--jobs", help=f"only these jobs, comma-separated (of {', '.join(JOBS)})")
    parser.add_argument("--job", choices=[*JOBS, "setup"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.job:
        django_setup()
        workdir = Path(args.workdir)
        if args.job == "setup":
            result = job_setup(workdir, args.import_rows, args.export_rows)
        else:
            result = JOBS[args.job](workdir, args.campaign)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = dict(os.environ, DEBUG="false", SECRET_KEY="bench", LOG_LEVEL="WARNING")
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        else:
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        common = ["--workdir", str(workdir)]
        print(f"Preparing {args.import_rows:,} rows to import and {args.export_rows:,} wells to export …", flush=True)
        campaigns = run_child(
            ["--job", "setup", "--import-rows", str(args.import_rows), "--export-rows", str(args.export_rows), *common],
            env,
        )
        rows = []
        load_before = os.getloadavg()
        every_run = {}
        chosen = args.jobs.split(",") if args.jobs else list(JOBS)
        unknown = set(chosen) - set(JOBS)
        if unknown:
            sys.exit(f"No such job: {', '.join(sorted(unknown))}")
        for job in chosen:
            if job.endswith("-with-tasks"):
                campaign = campaigns["tasks_campaign"]
            else:
                campaign = campaigns["import_campaign" if job.startswith("import") else "export_campaign"]
            runs = [run_child(["--job", job, "--campaign", str(campaign), *common], env) for _ in range(args.repeat)]
            result = min(runs, key=lambda run: run["seconds"])
            rows.append((job, result))
            every_run[job] = [round(run["seconds"], 3) for run in runs]
            times = ", ".join(f"{run['seconds']:.1f}" for run in runs)
            print(f"  {job}: {times} s", flush=True)

    database = "PostgreSQL" if args.database_url else "SQLite"
    print()
    print(f"Database: {database}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; best of {args.repeat}")
    print()
    print("| job | rows | seconds | rows/s | peak RSS (MB) | of which the job (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for job, result in rows:
        print(
            f"| {job} | {result['rows']:,} | {result['seconds']:.2f} | {result['rows'] / result['seconds']:,.0f} "
            f"| {result['peak_mb']:.0f} | {result['peak_mb'] - result['baseline_mb']:.0f} |"
        )
    if args.results:
        figures = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
            "database": database,
            "import_rows": args.import_rows,
            "export_rows": args.export_rows,
            "repeat": args.repeat,
            # The machine's load average (1, 5, 15 min) before and after the jobs.
            "load_average": [list(load_before), list(os.getloadavg())],
            "jobs": {
                job: {
                    "rows": result["rows"],
                    "seconds": round(result["seconds"], 3),
                    "rows_per_s": round(result["rows"] / result["seconds"]),
                    "runs": every_run[job],
                    "peak_mb": round(result["peak_mb"]),
                    "job_mb": round(result["peak_mb"] - result["baseline_mb"]),
                }
                for job, result in rows
            },
        }
        Path(args.results).write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
    if args.hostile:
        django_setup()
        print()
        print("\n".join(hostile_reads()))


if __name__ == "__main__":
    main()
