"""Every page and list as each role, at a million wells (issue 21). Not a
test: it takes many minutes and a dedicated database, and is never run by
``make test``.

    .venv/bin/python bench/sweep.py --database-url postgres://…/wc_million
        [--repeat 7] [--clients 50] [--seconds 60] [--out docs/benchmarks-sweep.md]

The database holds ``manage.py generate_wells --count 1000000`` (bench/run.py
builds one). The sweep then:

1. Prepares it once (kept for the next run): the Changji plan's six duties in
   every campaign, with a grid, a water and an investment company as their
   units; one township government given 40 townships' wells (about 100,000),
   as the largest unit a county has; the tasks of every well, made in SQL in
   the state its history gives (a step the well has passed is done), so the
   grid company holds an open power cut for every well not yet disconnected
   (about 150,000); and the personas: bureau staff, a leader, that
   township's officer, a grid member, an administrator.
2. Measures in this process, through Django's test client (the whole
   middleware and view, no HTTP), each case's median and p95 of ``--repeat``
   requests after one warm-up, its bytes and its queries: every page and
   list of wells/, tasks/, accounts/, supervision and the API as each role,
   first and deep pages (a keyset list's 20th page, followed by its ``next``
   links; an HTML list's last page within its bound).
3. The daily jobs (``manage.py run_daily_jobs``) in a fresh process, twice:
   time and peak resident memory, the second run with nothing to send.
4. A mixed-role load: gunicorn (gthread) on loopback and ``--clients``
   clients, each a persona, each pausing 1–3 s between requests as a person
   reads, over the sweep's first pages for ``--seconds``.

It writes the table, slowest first, to ``--out``.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STATIC_ROOT = Path(tempfile.gettempdir()) / "wellclosure-sweep-static"
TARGET_P95_MS = 300
TARGET_BYTES = 1_000_000
TARGET_JOB_S, TARGET_JOB_MB, TARGET_NOTHING_S = 60, 300, 10
PLAN = [  # the Changji plan's duties: step, unit (None: the well's own), days before the deadline
    ("notify", None, 180),
    ("revoke_license", "bureau", 120),
    ("supply", "water", 90),
    ("disconnect", "grid", 60),
    ("seal", "investco", 30),
    ("accept", "bureau", 0),
]
COMPANIES = {"grid": "模拟供电公司客户服务中心", "water": "模拟清源水务公司", "investco": "模拟经济发展投资公司"}
BIG_UNIT_TOWNSHIPS = 40


def setup_django(url):
    os.environ.update(
        DATABASE_URL=url,
        DEBUG="false",
        SECRET_KEY="bench-not-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="wellclosure.settings",
        STATIC_ROOT=str(STATIC_ROOT),
    )
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    # DEBUG off serves the hashed files of the manifest, as production does.
    call_command("collectstatic", interactive=False, verbosity=0)


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# 1. Preparing the data set -------------------------------------------------------


def prepare():
    """The duties, the big unit, the tasks and the personas (once)."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from accounts.choices import Role, UnitKind
    from accounts.models import Unit, User
    from tasks.models import Duty
    from wells import tally
    from wells.models import Campaign, Township

    bureau = Unit.objects.filter(kind=UnitKind.BUREAU).first()
    units = {"bureau": bureau}
    for key, name in COMPANIES.items():
        units[key], _ = Unit.objects.get_or_create(name=name, defaults={"kind": UnitKind.COMPANY})
    townships = list(Township.objects.order_by("code")[:BIG_UNIT_TOWNSHIPS])
    big_unit = townships[0].government
    if not Duty.objects.exists():
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            for campaign in Campaign.objects.all():
                for step, unit, days in PLAN:
                    Duty.objects.create(campaign=campaign, step=step, unit=units.get(unit), days_before_deadline=days)
            # Bench data, not a change anyone made: no triggers (history
            # rows, the tally's differences, which is counted again below).
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "UPDATE wells_well SET responsible_unit_id = %s WHERE township_id = ANY(%s)",
                [big_unit.pk, [t.pk for t in townships]],
            )
            cursor.execute(TASKS_SQL)
        tally.rebuild()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tasks_task")
            cursor.execute("VACUUM ANALYZE wells_well")
        say(f"prepared: duties, a unit of {BIG_UNIT_TOWNSHIPS} townships, tasks ({time.monotonic() - started:.0f} s)")

    def person(username, role, unit, superuser=False):
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": superuser, "unit": unit}
        )
        if created and role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return {
        "staff": person("sweep_staff", Role.BUREAU_STAFF, bureau),
        "leader": person("sweep_leader", Role.LEADER, bureau),
        "officer": person("sweep_officer", Role.TOWNSHIP_OFFICER, big_unit),
        "member": person("sweep_member", Role.UNIT_MEMBER, units["grid"]),
        "admin": person("sweep_admin", None, bureau, superuser=True),
    }


# A step is done when the well's state has passed it (the rank of its state
# at least the step's); the supply when it is connected. A reactivated well
# is in a new round: all open.
TASKS_SQL = """
INSERT INTO tasks_task (well_id, unit_id, step, due_on, status, completed_by_name, note, created_at)
SELECT w.id, COALESCE(d.unit_id, w.responsible_unit_id), d.step, w.deadline - d.days_before_deadline,
       CASE
         WHEN d.step = 'supply' THEN CASE WHEN w.supply_connected_on IS NULL THEN 'open' ELSE 'done' END
         WHEN (CASE w.status WHEN 'notified' THEN 1 WHEN 'license_revoked' THEN 2 WHEN 'disconnected' THEN 3
                             WHEN 'sealed' THEN 4 WHEN 'accepted' THEN 5 ELSE 0 END)
              >= (CASE d.step WHEN 'notify' THEN 1 WHEN 'revoke_license' THEN 2 WHEN 'disconnect' THEN 3
                              WHEN 'seal' THEN 4 ELSE 5 END) THEN 'done'
         ELSE 'open'
       END,
       '', '', now()
FROM wells_well w JOIN tasks_duty d ON d.campaign_id = w.campaign_id
WHERE w.status <> 'retained' AND w.archived_at IS NULL
  AND (d.step <> 'revoke_license' OR w.license_no <> '')
  AND (d.step <> 'supply' OR w.uses LIKE '%%,domestic,%%')
"""


def facts_of(people):
    from django.db.models import Count

    from tasks.models import Task
    from wells.models import Campaign, Well

    officer_unit = people["officer"].unit_id
    return {
        "wells": Well.objects.count(),
        "tasks": Task.objects.count(),
        "officer_wells": Well.objects.filter(responsible_unit_id=officer_unit).count(),
        "member_open_tasks": Task.objects.filter(unit_id=people["member"].unit_id, status="open").count(),
        "campaign": max(
            Well.objects.order_by().values_list("campaign_id").annotate(n=Count("pk")), key=lambda row: row[1]
        )[0],
        "campaigns": Campaign.objects.count(),
        "code": Well.objects.filter(responsible_unit_id=officer_unit)
        .order_by("pk")
        .values_list("code", flat=True)[5000],
        "many_events_code": Well.objects.filter(status="accepted", responsible_unit_id=officer_unit)
        .order_by("-version")
        .values_list("code", flat=True)
        .first(),
        "well_pk": Well.objects.filter(responsible_unit_id=officer_unit)
        .order_by("pk")
        .values_list("pk", flat=True)[5000],
    }


# 2. The sweep ----------------------------------------------------------------------

ROLES = ("staff", "leader", "officer", "member")


def cases(facts):
    """(label, path, roles, deep): ``deep`` "next" follows a keyset list's
    next links 19 times; a number is an HTML list's page."""
    code, campaign = facts["code"], facts["campaign"]
    everyone, bureau = ROLES, ("staff", "leader")
    listing = [
        ("ledger", "/wells/", everyone, 200),
        ("ledger, notified", "/wells/?status=notified", everyone, 200),
        ("ledger, overdue", "/wells/?overdue=true", everyone, 200),
        ("ledger, search", "/wells/?q=王", everyone, None),
        ("my wells", "/wells/mine/", ("officer", "member"), 200),
        ("well page", f"/well/{code}/", everyone, None),
        ("well page, most events", f"/well/{facts['many_events_code']}/", ("staff", "officer"), None),
        ("dashboard", "/dashboard/", everyone, None),
        ("dashboard, campaign", f"/dashboard/?campaign={campaign}", everyone, None),
        ("my tasks", "/tasks/mine/", everyone, 200),
        ("task overview", "/tasks/overview/", everyone, None),
        ("notifications", "/tasks/notifications/", everyone, None),
        ("patrols", "/patrols/", ("staff", "officer"), None),
        ("tickets", "/tickets/", everyone, None),
        ("users", "/accounts/users/", ("admin",), None),
        ("admin: wells", "/admin/wells/well/", ("admin",), None),
        ("admin: wells not overdue", "/admin/wells/well/?overdue=no", ("admin",), None),
        ("admin: a well", f"/admin/wells/well/{facts['well_pk']}/change/", ("admin",), None),
        ("admin: events", "/admin/wells/wellevent/", ("admin",), None),
        ("admin: tasks", "/admin/tasks/task/", ("admin",), None),
        ("admin: notifications", "/admin/tasks/notification/", ("admin",), None),
        ("admin: add an inspection", "/admin/wells/inspection/add/", ("admin",), None),
        ("api: wells", "/api/v1/wells/", everyone, "next"),
        ("api: wells, campaign", f"/api/v1/wells/?campaign={campaign}", everyone, "next"),
        ("api: wells, overdue", "/api/v1/wells/?overdue=true", everyone, "next"),
        ("api: wells, search", "/api/v1/wells/?q=王", everyone, None),
        ("api: a well", f"/api/v1/wells/{code}/", everyone, None),
        ("api: a well's events", f"/api/v1/wells/{code}/events/", everyone, None),
        ("api: a well's history", f"/api/v1/wells/{code}/history/", everyone, None),
        ("api: summary", "/api/v1/stats/summary/", everyone, None),
        ("api: summary, campaign", f"/api/v1/stats/summary/?campaign={campaign}", everyone, None),
        ("api: tasks", "/api/v1/tasks/", everyone, "next"),
        ("api: tasks, open", "/api/v1/tasks/?status=open", everyone, "next"),
        ("api: tasks, overdue", "/api/v1/tasks/?overdue=true", everyone, "next"),
        ("api: tasks, not overdue", "/api/v1/tasks/?overdue=false", everyone, "next"),
        ("api: tasks, seal", "/api/v1/tasks/?step=seal", everyone, "next"),
        ("api: task overview", "/api/v1/tasks/overview/", everyone, None),
        ("api: inspections due", "/api/v1/inspections-due/", everyone, "next"),
        ("api: inspections", "/api/v1/inspections/", everyone, "next"),
        ("api: notifications", "/api/v1/notifications/", everyone, "next"),
        ("api: publicity", "/api/v1/publicity/", bureau, "next"),
        ("api: monitoring wells", "/api/v1/monitoring-wells/", bureau, "next"),
        ("api: groundwater readings", "/api/v1/groundwater-readings/", bureau, "next"),
        ("api: milestones", "/api/v1/milestones/", everyone, None),
        ("api: townships", "/api/v1/townships/", everyone, None),
        ("api: units", "/api/v1/units/", everyone, None),
        ("api: campaigns", "/api/v1/campaigns/", everyone, None),
        ("api: tickets", "/api/v1/tickets/", everyone, "next"),
        ("api: patrols", "/api/v1/patrols/", everyone, "next"),
    ]
    return listing


def measure(client, path, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path)
        samples = [time.perf_counter() - started]
    # Now: the log is read lazily, and the next request clears it.
    query_count = len(queries)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # A slow case is measured fewer times (at least 3).
    runs = repeat if samples[0] < 1 else 3
    for _ in range(runs - 1):
        started = time.perf_counter()
        client.get(path)
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {
        "status": response.status_code,
        "median_ms": statistics.median(samples) * 1000,
        "p95_ms": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))] * 1000,
        "bytes": len(body),
        "queries": query_count,
        "runs": len(samples),
        "body": body,
    }


def deep_path(client, path, deep):
    """The path of the deep page: a keyset list's 20th page by its next
    links, or an HTML list's page ``deep``."""
    if deep == "next":
        for _ in range(19):
            response = client.get(path)
            if response.status_code != 200:
                return None
            link = response.json().get("next")
            if not link:
                return None
            parts = urlsplit(link)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        return path
    return f"{path}{'&' if '?' in path else '?'}page={deep}"


def sweep(people, facts, repeat):
    from django.test import Client

    clients = {}
    for name, user in people.items():
        clients[name] = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        clients[name].force_login(user)
    rows = []
    for label, path, roles, deep in cases(facts):
        for role in roles:
            client = clients[role]
            pages = [("first", path)]
            for page, target in pages:
                result = measure(client, target, repeat)
                # The deep page of a list whose first page answers in time
                # (following 19 next links of a slow one would take minutes).
                if page == "first" and deep is not None and result["median_ms"] < 3000:
                    deeper = deep_path(client, path, deep)
                    if deeper:
                        pages.append(("deep", deeper))
                result.pop("body")
                rows.append({"case": label, "role": role, "page": page, "path": target, **result})
                say(
                    f"{label} · {role} · {page}: {result['status']} median {result['median_ms']:.0f} ms, "
                    f"p95 {result['p95_ms']:.0f} ms, {result['bytes'] / 1024:.0f} KB, {result['queries']} queries"
                )
    return rows


# 3. The daily jobs -------------------------------------------------------------------


def daily_jobs(url):
    env = dict(os.environ, DATABASE_URL=url)
    runs = []
    for label in ("first run", "second run (nothing to send)"):
        started = time.monotonic()
        child = subprocess.Popen(
            [PYTHON, str(ROOT / "manage.py"), "run_daily_jobs"], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        output = child.stdout.read()
        seconds = time.monotonic() - started
        runs.append({"run": label, "seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "output": output.strip()})
        say(f"daily jobs, {label}: {seconds:.1f} s, {usage.ru_maxrss / 1024:.0f} MB\n{output}")
        if status:
            sys.exit("run_daily_jobs failed")
    return runs


# 4. Mixed-role load ------------------------------------------------------------------


def session_cookie(user):
    from django.conf import settings
    from run import session_key

    return f"{settings.SESSION_COOKIE_NAME}={session_key(user)}"


def mixed_load(url, people, facts, clients, seconds, port=8765):
    from django.db import connections

    cookies = {role: session_cookie(people[role]) for role in ROLES}
    connections.close_all()
    mix = [(role, path) for _label, path, roles, _deep in cases(facts) for role in roles if role in ROLES]
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DEBUG="false",
        SECRET_KEY="bench-not-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        LOG_LEVEL="ERROR",
    )
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "wellclosure.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "3", "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--log-level", "error"],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        results, lock = [], threading.Lock()
        stop_at = time.monotonic() + seconds

        def client(number):
            rng = random.Random(number)
            role = ROLES[number % len(ROLES)]
            mine = [path for who, path in mix if who == role]
            time.sleep(rng.uniform(0, 3))
            while time.monotonic() < stop_at:
                path = rng.choice(mine)
                started = time.perf_counter()
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    connection.request("GET", path, headers={"Cookie": cookies[role], "Accept-Language": "zh-hans"})
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                    connection.close()
                except OSError:
                    status = 0
                with lock:
                    results.append((role, path, status, time.perf_counter() - started))
                time.sleep(rng.uniform(1, 3))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = sorted(elapsed for *_rest, elapsed in results)
    errors = [row for row in results if row[2] != 200]
    summary = {
        "clients": clients,
        "seconds": seconds,
        "requests": len(results),
        "errors": len(errors),
        "error_examples": sorted({f"{status} {path}" for _role, path, status, _e in errors})[:5],
        "median_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p95_ms": latencies[round(0.95 * (len(latencies) - 1))] * 1000 if latencies else None,
        "slowest": sorted(results, key=lambda row: -row[3])[:5],
    }
    say(f"mixed load: {json.dumps({k: v for k, v in summary.items() if k != 'slowest'}, ensure_ascii=False)}")
    return summary


# The report --------------------------------------------------------------------------


def report(path, facts, rows, jobs, load, started):
    def row_line(row):
        ok = row["p95_ms"] <= TARGET_P95_MS and row["bytes"] <= TARGET_BYTES and row["status"] == 200
        return (
            f"| {row['case']} | {row['role']} | {row['page']} | {row['status']} | {row['median_ms']:.1f} | "
            f"{row['p95_ms']:.1f} | {row['bytes'] / 1024:.0f} | {row['queries']} | {'met' if ok else '**missed**'} |"
        )

    head = "| case | role | page | status | median ms | p95 ms | KB | queries | p95 ≤ 300 ms, ≤ 1 MB |\n"
    head += "|---|---|---|---:|---:|---:|---:|---:|---|\n"
    slowest = sorted(rows, key=lambda row: -row["p95_ms"])
    missed = [row for row in rows if row["p95_ms"] > TARGET_P95_MS or row["bytes"] > TARGET_BYTES]
    lines = [
        "# The sweep: every page and list as each role at a million wells",
        "",
        f"Written by `bench/sweep.py` on {datetime.date.today().isoformat()} "
        f"({(time.monotonic() - started) / 60:.0f} minutes in all); see its docstring for what it does.",
        "",
        "## Data set and machine",
        "",
        f"- {facts['wells']:,} wells (`generate_wells`), {facts['tasks']:,} tasks from the Changji plan's six duties; "
        f"the officer's unit holds {facts['officer_wells']:,} wells, the grid company "
        f"{facts['member_open_tasks']:,} open tasks.",
        f"- {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "PostgreSQL on the same machine. The client is Django's test client in the measuring process "
        "(the whole middleware and view, no HTTP); the load run goes over HTTP to gunicorn.",
        f"- {len(rows)} measurements; {len(missed)} miss the target (p95 ≤ {TARGET_P95_MS} ms and ≤ 1 MB).",
        "",
        "## The slowest ten",
        "",
        head + "\n".join(row_line(row) for row in slowest[:10]),
        "",
        "## The daily jobs (`manage.py run_daily_jobs`, a fresh process)",
        "",
        "| run | seconds | peak MB | target |",
        "|---|---:|---:|---|",
    ]
    for number, job in enumerate(jobs):
        target_s = TARGET_JOB_S if number == 0 else TARGET_NOTHING_S
        ok = job["seconds"] <= target_s and job["peak_mb"] <= TARGET_JOB_MB
        lines.append(
            f"| {job['run']} | {job['seconds']:.1f} | {job['peak_mb']:.0f} | "
            f"≤ {target_s} s, ≤ {TARGET_JOB_MB} MB: {'met' if ok else '**missed**'} |"
        )
    if jobs:
        lines += ["", "What each job printed (first run):", "", "```", jobs[0]["output"], "```", ""]
    if load:
        ok = load["errors"] == 0 and load["p95_ms"] is not None and load["p95_ms"] <= TARGET_P95_MS
        lines += [
            "## Mixed-role load",
            "",
            f"{load['clients']} clients (staff, leader, officer and grid member in turn), each pausing 1–3 s "
            f"between requests, for {load['seconds']} s over the sweep's first pages; gunicorn with 3 gthread "
            "workers of 8 threads.",
            "",
            "| requests | errors | median ms | p95 ms | p95 ≤ 300 ms, no error |",
            "|---:|---:|---:|---:|---|",
            f"| {load['requests']} | {load['errors']} | {load['median_ms']:.0f} | {load['p95_ms']:.0f} | "
            f"{'met' if ok else '**missed**'} |",
            "",
            "Slowest requests: "
            + "; ".join(f"{role} {path} {elapsed * 1000:.0f} ms" for role, path, _s, elapsed in load["slowest"]),
            "",
        ]
    lines += ["## Every measurement, slowest first", "", head + "\n".join(row_line(row) for row in slowest), ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")
    (Path(path).with_suffix(".json")).write_text(
        json.dumps(
            {"facts": facts, "rows": rows, "jobs": jobs, "load": load}, ensure_ascii=False, indent=1, default=str
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-sweep.md"))
    parser.add_argument("--skip", nargs="*", default=[], choices=["sweep", "jobs", "load"])
    args = parser.parse_args()
    started = time.monotonic()
    setup_django(args.database_url)
    people = prepare()
    facts = facts_of(people)
    say(f"facts: {facts}")
    rows = [] if "sweep" in args.skip else sweep(people, facts, args.repeat)
    jobs = [] if "jobs" in args.skip else daily_jobs(args.database_url)
    load = None if "load" in args.skip else mixed_load(args.database_url, people, facts, args.clients, args.seconds)
    report(args.out, facts, rows, jobs, load, started)
    say(f"written to {args.out}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"peak memory of the sweep itself {peak:.0f} MB")


if __name__ == "__main__":
    main()
