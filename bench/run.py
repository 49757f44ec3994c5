"""The ledger at a province's scale, measured side by side in one run on
PostgreSQL, and written to docs/benchmarks.md (issue 7). Not a test: it
takes minutes and a dedicated database, and is never run by ``make test``.

    .venv/bin/python bench/run.py [--count 1000000]
        [--database-url postgres://postgres@127.0.0.1:55433/bench] [--reuse]

1. Builds the data set: drops and creates the database, migrates it, runs
   ``manage.py generate_wells --count N`` (timed), and VACUUM ANALYZE, as
   autovacuum would after a load. ``--reuse`` keeps a database that already
   holds N generated wells.
2. Starts gunicorn on loopback (``--workers``, DEBUG off) and measures over
   HTTP, one request at a time, the median and p95 of repeated requests:
   the well list under each documented filter, its first page and its 100th
   (a keyset cursor 4,950 rows in), each next to its floor — the same rows
   fetched by hand-written SQL through psycopg and encoded to JSON, checked
   to be the same wells; the stats summary; the leaders' dashboard; the
   admin's well list.
3. The export of ~100,000 wells and the import of 10,000 rows through the
   API, each in a fresh process whose peak resident memory is its own;
   then bench/excel_bench.py (when present) for django-import-export on the
   same files, in a scratch database.
4. A load run: wrk, ``--clients`` connections for ``--seconds`` against the
   list endpoint, without think time (each client sends its next request as
   soon as the last is answered).

Needs: the dev requirements, a PostgreSQL it may create databases on, and
wrk (Debian: ``apt-get install wrk``).
"""

import argparse
import base64
import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:55433/bench"
SETTLED = ("accepted", "retained")
IMPORT_PREFIX = "IMP-"

# The issue's targets at 1,000,000 wells on 2 cores.
TARGET_LIST_MS = 50
TARGET_FLOOR_RATIO = 3
TARGET_SUMMARY_MS = 150
TARGET_DASHBOARD_MS = 400
TARGET_ADMIN_MS = 500
TARGET_EXPORT_ROWS_S = 25_000
TARGET_EXPORT_MB = 300
TARGET_IMPORT_ROWS_S = 3_000
TARGET_LOAD_P95_MS = 200
# The second load run's pause between a client's requests (ms): a person
# working through the list, clicking about twice a second.
THINK_MS = (250, 750)
# The summary and the dashboard sum the well tally, which grows by two rows
# per change until it is compacted (daily by send_reminders): measured
# again with this many changes waiting.
UNCOMPACTED_CHANGES = 50_000
# The export and the import are each run this many times; the report gives
# the run of median time (one run alone varied by half on a shared machine).
FILE_JOB_RUNS = 3


# Small helpers -----------------------------------------------------------------------


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def ms(seconds):
    return f"{seconds * 1000:,.1f}"


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def connect(url, **kwargs):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), **kwargs)


def django_env(args, static_root):
    return dict(
        os.environ,
        DATABASE_URL=args.database_url,
        DEBUG="false",
        SECRET_KEY="bench-not-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )


def manage(env, *command, capture=False):
    done = subprocess.run(
        ["nice", "-n", "5", PYTHON, str(ROOT / "manage.py"), *command],
        env=env,
        cwd=ROOT,
        capture_output=capture,
        text=True,
    )
    if done.returncode:
        sys.exit(f"manage.py {' '.join(command)} failed:\n{done.stderr if capture else ''}")
    return done.stdout if capture else ""


def child(env, job, *extra):
    """Run one job of this script in a fresh process; its JSON answer."""
    done = subprocess.run([PYTHON, __file__, "--child", job, *extra], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{job} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# 1. The data set ---------------------------------------------------------------------


def build(args, env):
    name = urlsplit(args.database_url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"Use a plain database name in --database-url, not {name!r}.")
    admin = with_database(args.database_url, "postgres")
    if args.reuse:
        try:
            with connect(args.database_url) as conn:
                held = conn.execute("SELECT count(*) FROM wells_well WHERE code LIKE 'JJ-%%'").fetchone()[0]
        except Exception:  # noqa: BLE001 -- no such database or table: build it
            held = None
        if held == args.count:
            say(f"Reusing {name}: it holds {held:,} generated wells.")
            return {"reused": True}
        say(f"{name} does not hold {args.count:,} generated wells ({held}): building it.")
    with connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
        # JIT compilation costs more than it saves on the ledger's short
        # queries; the deployment notes (docs/benchmarks.md) say the same.
        conn.execute(f"ALTER DATABASE {name} SET jit = off")
    say("Migrating …")
    manage(env, "migrate", "--noinput", "-v0")
    say(f"Generating {args.count:,} wells …")
    started = time.monotonic()
    output = manage(env, "generate_wells", "--count", str(args.count), capture=True)
    generation = time.monotonic() - started
    say(output.strip())
    started = time.monotonic()
    with connect(args.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"VACUUM ANALYZE in {time.monotonic() - started:.0f} s")
    return {"reused": False, "generation_s": generation, "generation_line": output.strip()}


def dataset_facts(args):
    with connect(args.database_url) as conn:
        wells, events = (
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("wells_well", "wells_wellevent")
        )
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in (
                "server_version",
                "shared_buffers",
                "work_mem",
                "effective_cache_size",
                "jit",
                "max_parallel_workers_per_gather",
            )
        }
    return {"wells": wells, "events": events, "size": size, "pg": settings}


# 2. Measuring over HTTP --------------------------------------------------------------


class Server:
    """gunicorn on loopback, as a bureau would run it behind its proxy."""

    def __init__(self, env, workers, port, threads=None):
        self.port = port
        self.process = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "wellclosure.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                *(["--worker-class", "gthread", "--threads", str(threads)] if threads else []),
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        sys.exit("gunicorn did not start.")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def get(self, path, headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        return response.status, body, elapsed


def timed(function, *, repeat, budget):
    """Warm up twice, then call ``function`` (which returns seconds) up to
    ``repeat`` times, fewer (at least 5) when the calls exceed ``budget``
    seconds in all."""
    function()
    function()
    samples, started = [], time.monotonic()
    while len(samples) < repeat and (len(samples) < 5 or time.monotonic() - started < budget):
        samples.append(function())
    return samples


def local_path(link):
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def with_param(path, **params):
    """``path`` with ``params`` set; repeated parameters (status=…&status=…)
    kept as they are."""
    parts = urlsplit(path)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name not in params]
    query += [(name, str(value)) for name, value in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def decode_cursor(link):
    raw = dict(parse_qsl(urlsplit(link).query))["cursor"]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


FLOOR_COLUMNS = (
    "w.code, w.owner_name, w.owner_kind, t.code, t.name, w.village, w.lat, w.lng, w.zone, w.uses, w.depth_m, "
    "w.license_no, w.meter_no, w.responsible_unit_id, u.name, w.responsible_person, w.deadline, w.campaign_id, "
    "w.category, w.status, w.version, w.enforced, w.supply_connected_on"
)
FLOOR_NAMES = [
    *("code", "owner_name", "owner_kind", "township", "township_name", "village", "lat", "lng", "zone", "uses"),
    *("depth_m", "license_no", "meter_no", "responsible_unit", "responsible_unit_name", "responsible_person"),
    *("deadline", "campaign", "category", "status", "version", "enforced", "supply_connected_on"),
]
FLOOR_ORDER = {
    "code": ("w.code, w.id", "(w.code, w.id) > (%s, %s)"),
    "deadline": ("w.deadline NULLS LAST, w.id", "(w.deadline, w.id) > (%s, %s)"),
    "-updated_at": ("w.updated_at DESC, w.id DESC", "(w.updated_at, w.id) < (%s, %s)"),
}


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def floor_page(conn, case, position, today):
    """The page by hand: one SQL statement, rows to JSON. Seconds, codes."""
    order, keyset = FLOOR_ORDER[case["order"]]
    where, params = case["where"], list(case["args"])
    if position is not None:
        where = f"({where}) AND {keyset}"
        params += [position["v"], position["k"]]
    sql = (
        f"SELECT {FLOOR_COLUMNS} FROM wells_well w LEFT JOIN wells_township t ON t.id = w.township_id "
        f"JOIN accounts_unit u ON u.id = w.responsible_unit_id WHERE {where} ORDER BY {order} LIMIT 51"
    )
    names = FLOOR_NAMES
    started = time.perf_counter()
    rows = conn.execute(sql, params).fetchall()
    results = []
    for row in rows[:50]:
        well = {name: _json_value(value) for name, value in zip(names, row, strict=True)}
        well["uses"] = [use for use in row[9].split(",") if use]
        well["overdue"] = row[19] not in SETTLED and row[16] is not None and row[16] < today
        results.append(well)
    body = json.dumps({"next": "…" if len(rows) > 50 else None, "previous": None, "results": results}).encode()
    elapsed = time.perf_counter() - started
    assert body
    return elapsed, [well["code"] for well in results]


def list_cases(facts):
    """The documented filters (DESIGN §5), each with the SQL that selects
    the same wells, for the floor."""
    today = facts["today"]
    q_name, q_village, q_code, q_short = facts["q_name"], facts["q_village"], facts["q_code"], facts["q_short"]
    like = "upper(w.code) LIKE upper(%s) OR upper(w.owner_name) LIKE upper(%s) OR upper(w.village) LIKE upper(%s)"
    # A term too short for trigrams: the tripled text's indexes (wells.models.tripled_upper) narrow it down.
    tripled = " OR ".join(
        f"regexp_replace(upper(w.{column}), '(.)', '\\1\\1\\1', 'g') LIKE %s"
        for column in ("code", "owner_name", "village")
    )
    short = f"({tripled}) AND ({like})"
    short_args = [f"%{''.join(c * 3 for c in q_short.upper())}%"] * 3 + [f"%{q_short}%"] * 3
    not_settled = "w.status NOT IN ('accepted', 'retained')"
    staff, officer = "staff", "officer"
    unit = facts["officer_unit"]
    cases = [
        ("no filter", staff, {}, "true", [], "code"),
        (
            "campaign",
            staff,
            {"campaign": facts["campaign_small"]},
            "w.campaign_id = %s",
            [facts["campaign_small"]],
            "code",
        ),
        ("township", staff, {"township": facts["township_code"]}, "w.township_id = %s", [facts["township_id"]], "code"),
        ("unit", staff, {"unit": unit}, "w.responsible_unit_id = %s", [unit], "code"),
        ("status", staff, {"status": "notified"}, "w.status = 'notified'", [], "code"),
        (
            "status ×2",
            staff,
            [("status", "notified"), ("status", "license_revoked")],
            "w.status IN ('notified', 'license_revoked')",
            [],
            "code",
        ),
        ("category", staff, {"category": "licensed"}, "w.category = 'licensed'", [], "code"),
        ("use", staff, {"use": "domestic"}, "w.uses LIKE '%%,domestic,%%'", [], "code"),
        ("overdue=true", staff, {"overdue": "true"}, f"{not_settled} AND w.deadline < %s", [today], "code"),
        (
            "overdue=false",
            staff,
            {"overdue": "false"},
            f"NOT ({not_settled} AND w.deadline IS NOT NULL AND w.deadline < %s)",
            [today],
            "code",
        ),
        (
            "deadline range",
            staff,
            {"deadline_after": facts["range"][0], "deadline_before": facts["range"][1]},
            "w.deadline BETWEEN %s AND %s",
            list(facts["range"]),
            "code",
        ),
        (f"q={q_name} (owner)", staff, {"q": q_name}, like, [f"%{q_name}%"] * 3, "code"),
        (f"q={q_village} (village)", staff, {"q": q_village}, like, [f"%{q_village}%"] * 3, "code"),
        (f"q={q_code} (code)", staff, {"q": q_code}, like, [f"%{q_code}%"] * 3, "code"),
        (f"q={q_short} (2 characters)", staff, {"q": q_short}, short, short_args, "code"),
        ("ordering=deadline", staff, {"ordering": "deadline"}, "true", [], "deadline"),
        ("ordering=-updated_at", staff, {"ordering": "-updated_at"}, "true", [], "-updated_at"),
        ("officer: own wells", officer, {}, "w.responsible_unit_id = %s", [unit], "code"),
        (
            "officer: notified by deadline",
            officer,
            {"status": "notified", "ordering": "deadline"},
            "w.responsible_unit_id = %s AND w.status = 'notified'",
            [unit],
            "deadline",
        ),
        (
            "dashboard link: campaign, overdue, by deadline",
            staff,
            {"campaign": facts["campaign_big"], "overdue": "true", "ordering": "deadline"},
            f"w.campaign_id = %s AND {not_settled} AND w.deadline < %s",
            [facts["campaign_big"], today],
            "deadline",
        ),
    ]
    return [
        {"label": label, "who": who, "params": params, "where": where, "args": args, "order": order}
        for label, who, params, where, args, order in cases
    ]


def measure_lists(server, conn, facts, headers, args):
    rows = []
    today = datetime.date.fromisoformat(facts["today"])
    for case in list_cases(facts):
        params = case["params"] if isinstance(case["params"], list) else list(case["params"].items())
        first = "/api/v1/wells/" + (f"?{urlencode(params)}" if params else "")
        # The 100th page: ten pages of 495 rows, then the next 50 from there.
        link, position = with_param(first, page_size=495), None
        for _page in range(10):
            status, body, _elapsed = server.get(link, headers[case["who"]])
            if status != 200:
                sys.exit(f"{case['label']}: {status} {body[:300]!r}")
            following = json.loads(body)["next"]
            if following is None:
                link = None
                break
            link = local_path(following)
        pages = [("first", first, None)]
        if link:
            pages.append(("100th", with_param(link, page_size=50), decode_cursor(link)))
        for page, path, position in pages:
            status, body, _elapsed = server.get(path, headers[case["who"]])
            api_codes = [well["code"] for well in json.loads(body)["results"]]
            who = headers[case["who"]]
            samples = timed(lambda path=path, who=who: server.get(path, who)[2], repeat=args.repeat, budget=20)
            floor_codes = floor_page(conn, case, position, today)[1]
            floor = timed(
                lambda pos=position, case=case: floor_page(conn, case, pos, today)[0], repeat=args.repeat, budget=10
            )
            rows.append(
                {
                    "label": case["label"],
                    "page": page,
                    "median": statistics.median(samples),
                    "p95": percentile(samples, 0.95),
                    "floor": statistics.median(floor),
                    "same": api_codes == floor_codes,
                    "n": len(samples),
                }
            )
            last = rows[-1]
            say(
                f"  list {case['label']} ({page}): median {ms(last['median'])} ms, p95 {ms(last['p95'])} ms, "
                f"floor {ms(last['floor'])} ms{'' if last['same'] else ' (floor rows DIFFER)'}"
            )
        if not link:
            rows.append({"label": case["label"], "page": "100th", "missing": True})
    return rows


def measure_pages(server, conn, env, headers, facts, args):
    """The summary, the dashboard and the admin list: median and p95; the
    summary and the dashboard again with a day's changes not yet compacted."""
    summary_all = ("stats summary, every well", "/api/v1/stats/summary/", "staff", TARGET_SUMMARY_MS)
    dashboards = []
    if facts["dashboard"]:
        dashboards = [
            (
                f"dashboard (leader), campaign of {facts['campaign_big_wells']:,}",
                facts["dashboard"],
                "leader_session",
                TARGET_DASHBOARD_MS,
            ),
            (
                f"dashboard (leader), campaign of {facts['campaign_small_wells']:,}",
                f"{facts['dashboard']}?campaign={facts['campaign_small']}",
                "leader_session",
                TARGET_DASHBOARD_MS,
            ),
        ]
    pages = [
        summary_all,
        (
            f"stats summary, campaign of {facts['campaign_big_wells']:,}",
            f"/api/v1/stats/summary/?campaign={facts['campaign_big']}",
            "staff",
            TARGET_SUMMARY_MS,
        ),
        ("stats summary, officer", "/api/v1/stats/summary/", "officer", TARGET_SUMMARY_MS),
        *dashboards,
        ("admin well list", "/admin/wells/well/", "admin_session", TARGET_ADMIN_MS),
        ("admin well list, status filter", "/admin/wells/well/?status__exact=sealed", "admin_session", TARGET_ADMIN_MS),
        (
            "admin well list, search",
            "/admin/wells/well/?" + urlencode({"q": facts["q_name"]}),
            "admin_session",
            TARGET_ADMIN_MS,
        ),
    ]
    rows = [measure_page(server, headers, args, *page) for page in pages]
    add_uncompacted_changes(conn, UNCOMPACTED_CHANGES)
    try:
        waiting = f", {UNCOMPACTED_CHANGES:,} changes not yet compacted"
        for label, path, who, target in [summary_all, *dashboards[:1]]:
            rows.append(measure_page(server, headers, args, label + waiting, path, who, target))
    finally:
        manage(env, "well_tally", "compact")
    return rows


def measure_page(server, headers, args, label, path, who, target):
    status, body, _elapsed = server.get(path, headers[who])
    if status != 200:
        say(f"  {label}: HTTP {status}")
        return {"label": label, "error": f"HTTP {status}"}
    samples = timed(lambda: server.get(path, headers[who])[2], repeat=args.repeat, budget=30)
    row = {
        "label": label,
        "median": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "target": target,
        "n": len(samples),
        "bytes": len(body),
    }
    say(f"  {label}: median {ms(row['median'])} ms, p95 {ms(row['p95'])} ms ({len(body):,} bytes)")
    return row


def add_uncompacted_changes(conn, changes):
    """The rows ``changes`` changes of status leave in the well tally until
    it is compacted: a −1 row and a +1 row each. Here both fall in the same
    group, so every figure stays as it was while the tally holds as many
    rows as after a real day's work."""
    with conn.cursor() as cursor:
        groups = cursor.execute("SELECT COUNT(*) FROM wells_welltally").fetchone()[0]
        cursor.execute(
            """
            INSERT INTO wells_welltally
                (campaign_id, township_id, responsible_unit_id, category, status, deadline,
                 wells, located, lat_sum, lng_sum)
            SELECT campaign_id, township_id, responsible_unit_id, category, status, deadline,
                   sign, sign, sign * 40, sign * 116
            FROM (SELECT tally.* FROM wells_welltally AS tally, generate_series(1, %s)
                  ORDER BY random() LIMIT %s) AS changed,
                 (VALUES (1), (-1)) AS signs (sign)
            """,
            [-(-changes // max(groups, 1)), changes],
        )
        cursor.execute("ANALYZE wells_welltally")
    conn.commit()


# 4. Load -------------------------------------------------------------------------------

WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
wrk.headers["Authorization"] = "Token %(token)s"
%(delay)s
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "max": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
"""


def load_run(server, facts, paths, args, *, think_ms=None):
    """wrk against the list; ``think_ms`` (low, high): each client pauses a
    random time in that range before its next request, as a person would."""
    delay = "" if think_ms is None else f"delay = function() return math.random({think_ms[0]}, {think_ms[1]}) end"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            WRK_SCRIPT
            % {
                "paths": ", ".join(json.dumps(path) for path in paths),
                "token": facts["tokens"]["staff"],
                "delay": delay,
            }
        )
    command = [
        "wrk",
        "--threads",
        "2",
        "--connections",
        str(args.clients),
        "--duration",
        f"{args.seconds}s",
        "--timeout",
        "10s",
        "--script",
        script.name,
        f"http://127.0.0.1:{server.port}/",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    os.unlink(script.name)
    line = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("RESULT "))
    result["errors"] = sum(result[name] for name in ("connect", "read", "write", "status", "timeout"))
    result["throughput"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


# Child jobs (each in its own process) ------------------------------------------------


def session_key(user):
    """A new session of ``user`` in the session store: the key a browser's
    cookie would carry after signing in (the sweep's and this script's
    clients send it)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The first backend that can load a user, as Django's test client picks.
    store[BACKEND_SESSION_KEY] = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def child_setup(args):
    """Users, tokens, sessions and the facts the cases need."""
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone
    from knox.models import AuthToken

    from accounts.choices import Role
    from accounts.models import Unit, User
    from wells.models import Campaign, Township, Well

    bureau = Unit.objects.get(name="模拟市水利局")
    township = Township.objects.get(code="sim-001")

    def person(username, role, unit, superuser=False):
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": superuser, "unit": unit}
        )
        if created and role:
            user.groups.add(Group.objects.get(name=role))
        return user

    staff = person("bench_staff", Role.BUREAU_STAFF, bureau)
    officer = person("bench_officer", Role.TOWNSHIP_OFFICER, township.government)
    leader = person("bench_leader", Role.LEADER, bureau)
    admin = person("bench_admin", None, bureau, superuser=True)

    campaigns = dict(Well.objects.order_by().values_list("campaign_id").annotate(n=Count("pk")))
    big = max(campaigns, key=campaigns.get)
    small = min(campaigns, key=campaigns.get)
    deadlines = sorted(
        Well.objects.filter(campaign_id=small).values_list("deadline", flat=True).distinct()[:500], key=str
    )
    people = list(
        Well.objects.filter(owner_kind="person", owner_name__regex=r"^.{3}$")
        .values_list("owner_name")
        .annotate(n=Count("pk"))
        .order_by("-n")[:1]
    )
    pairs = list(
        Well.objects.filter(owner_kind="person", owner_name__regex=r"^.{2}$")
        .values_list("owner_name")
        .annotate(n=Count("pk"))
        .order_by("-n")[:1]
    )
    village = Well.objects.filter(township=township).values_list("village", flat=True).first()
    code = Well.objects.order_by("pk").values_list("code", flat=True)[Well.objects.count() // 2]
    try:
        dashboard = reverse("wells:dashboard")
    except NoReverseMatch:
        dashboard = None
    dated = [day for day in deadlines if day]
    return {
        "tokens": {
            # A new knox token per run (AuthToken.create returns the
            # instance and the key, which only exists here).
            name: AuthToken.objects.create(user=user)[1]
            for name, user in [("staff", staff), ("officer", officer)]
        },
        "sessions": {"leader": session_key(leader), "admin": session_key(admin)},
        "officer_unit": township.government_id,
        "township_code": township.code,
        "township_id": township.pk,
        "campaign_big": big,
        "campaign_big_wells": campaigns[big],
        "campaign_small": small,
        "campaign_small_wells": campaigns[small],
        "campaign_names": dict(Campaign.objects.values_list("pk", "name")),
        "range": [dated[len(dated) // 3].isoformat(), dated[len(dated) // 3 + 2].isoformat()] if dated else None,
        "q_name": people[0][0] if people else "王建国",
        "q_short": pairs[0][0] if pairs else "王英",
        "q_village": village,
        "q_code": code[-7:],
        "today": timezone.localdate().isoformat(),
        "dashboard": dashboard,
    }


def child_export(args):
    """The API's export of one campaign's wells, as the staff user."""
    from django.test import Client

    from wells.models import Well

    campaign = int(args.extra[0])
    token = args.extra[1]
    rows = Well.objects.filter(campaign_id=campaign).count()
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    response = client.get("/api/v1/exports/wells.xlsx", {"campaign": campaign})
    size = sum(len(chunk) for chunk in response.streaming_content) if response.streaming else len(response.content)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if response.status_code != 200:
        raise SystemExit(f"export: HTTP {response.status_code}")
    return {"rows": rows, "seconds": seconds, "bytes": size, "baseline_mb": baseline, "peak_mb": peak}


def child_import(args):
    """10,000 new wells through POST /api/v1/imports/wells/, then removed."""
    import io

    from django.test import Client
    from excel_bench import inventory_workbook, remove_scratch_wells  # bench/ is this script's own directory

    from wells.models import Township, Well

    count, token = int(args.extra[0]), args.extra[1]
    remove_scratch_wells(IMPORT_PREFIX)
    townships = list(Township.objects.filter(code__startswith="sim-").select_related("government")[:20])
    book = inventory_workbook(
        count,
        townships,
        prefix=IMPORT_PREFIX,
        title="地下水禁采区机电井关停信息统计明细表（基准测试）",
        origin=(115.2, 38.0),
        region="冀",
        meter_prefix="13000100",
        deadline=datetime.date(2027, 11, 30),
    )
    handle = io.BytesIO()
    book.save(handle)
    handle.seek(0)
    handle.name = "import.xlsx"
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    # A warm worker: the first request of a process imports the URLconf,
    # DRF and the views (half a second), not every import.
    client.get("/api/v1/imports/wells/template/")
    started = time.perf_counter()
    response = client.post("/api/v1/imports/wells/", {"file": handle})
    seconds = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or body.get("created") != count:
        raise SystemExit(f"import: HTTP {response.status_code} {str(body)[:500]}")
    created = Well.objects.filter(code__startswith=IMPORT_PREFIX).count()
    remove_scratch_wells(IMPORT_PREFIX)
    return {"rows": created, "seconds": seconds}


CHILD_JOBS = {"setup": child_setup, "export": child_export, "import": child_import}


def median_job(env, job, *extra):
    """The run of median time of ``FILE_JOB_RUNS`` runs of ``job``, each in a
    fresh process, with every run's figures under ``runs``."""
    runs = []
    for _number in range(FILE_JOB_RUNS):
        runs.append(child(env, job, *extra))
        say(f"  {runs[-1]}")
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    return {**middle, "runs": runs}


# The report --------------------------------------------------------------------------


def machine():
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory = "unknown"
    try:
        kib = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory, "os": platform.platform()}


def versions():
    out = subprocess.run(
        [
            PYTHON,
            "-c",
            "import django, gunicorn, rest_framework as drf; "
            "print(django.get_version(), gunicorn.__version__, drf.__version__)",
        ],
        capture_output=True,
        text=True,
    ).stdout.split()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "python": platform.python_version(),
        "django": out[0] if out else "?",
        "gunicorn": out[1] if len(out) > 1 else "?",
        "drf": out[2] if len(out) > 2 else "?",
        "wrk": (wrk.stdout or wrk.stderr).split(" [")[0] if shutil.which("wrk") else "not installed",
    }


def verdict(ok):
    return "met" if ok else "**missed**"


def write_report(path, context, notes_path):
    context = dict(context, notes=Path(notes_path).read_text().splitlines() if Path(notes_path).exists() else [])
    m, v, d = context["machine"], context["versions"], context["dataset"]
    lines = [
        "# Benchmarks: a million wells on one machine",
        "",
        "Written by `bench/run.py` (issue 7); see `bench/README.md` for how to run it and what each figure means.",
        f"Run of {context['date']}, {context['total_minutes']:.0f} minutes in all.",
        "",
        "## Machine and versions",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['memory']}; {m['os']}",
        f"- Python {v['python']}, Django {v['django']}, Django REST framework {v['drf']}, gunicorn {v['gunicorn']} "
        f"({context['workers']} sync workers), {v['wrk']}",
        f"- PostgreSQL {d['pg']['server_version']} on the same machine: shared_buffers {d['pg']['shared_buffers']}, "
        f"work_mem {d['pg']['work_mem']}, effective_cache_size {d['pg']['effective_cache_size']}, "
        f"max_parallel_workers_per_gather {d['pg']['max_parallel_workers_per_gather']}, jit {d['pg']['jit']} "
        "(set on the database)",
        "- The client, the server and the database share the machine's cores; other work on the machine during "
        "the run shows as noise. The 1-minute load average was "
        f"{context['load_average']['start']:.1f} when the HTTP measurements began and "
        f"{context['load_average']['end']:.1f} after the load runs; the script ran at nice "
        f"{context['load_average']['nice']} (PostgreSQL at its own priority).",
        "",
        "## Data set",
        "",
        f"- {d['wells']:,} wells, {d['events']:,} events, database {d['size']}.",
    ]
    if context["build"].get("reused"):
        lines.append("- Reused from an earlier run of `generate_wells` (`--reuse`).")
    else:
        lines.append(
            f"- `manage.py generate_wells --count {context['count']}`: {context['build']['generation_line']} "
            f"(wall time with process start {context['build']['generation_s']:.0f} s)."
        )
    lines += [
        "",
        "## Well list: `GET /api/v1/wells/`",
        "",
        f"One request at a time over HTTP to gunicorn, median and p95 of up to {context['repeat']} requests after two "
        "warm-up ones (fewer for slow ones, at least 5). The floor: the same page by hand-written SQL through "
        "psycopg (the keyset as a row comparison), encoded to JSON, without HTTP; “same rows” checks that it "
        f"returned exactly the API's wells. Targets: p95 ≤ {TARGET_LIST_MS} ms and ≤ {TARGET_FLOOR_RATIO}× the floor.",
        "",
        f"| filter | page | median ms | p95 ms | floor ms | × floor | same rows | p95 ≤ {TARGET_LIST_MS} ms "
        f"| ≤ {TARGET_FLOOR_RATIO}× floor |",
        "|---|---|---:|---:|---:|---:|---|---|---|",
    ]
    for row in context["lists"]:
        if row.get("missing"):
            lines.append(f"| {row['label']} | 100th | – | – | – | – | – | fewer than 100 pages | |")
            continue
        ratio = row["median"] / row["floor"] if row["floor"] else float("inf")
        lines.append(
            f"| {row['label']} | {row['page']} | {ms(row['median'])} | {ms(row['p95'])} | {ms(row['floor'])} "
            f"| {ratio:.1f} | {'yes' if row['same'] else '**no**'} | {verdict(row['p95'] * 1000 <= TARGET_LIST_MS)} "
            f"| {verdict(ratio <= TARGET_FLOOR_RATIO)} |"
        )
    lines += [
        "",
        "## Summary, dashboard, admin",
        "",
        "| page | median ms | p95 ms | target ms | |",
        "|---|---:|---:|---:|---|",
    ]
    for row in context["pages"]:
        if "error" in row:
            lines.append(f"| {row['label']} | {row['error']} | | | |")
            continue
        lines.append(
            f"| {row['label']} | {ms(row['median'])} | {ms(row['p95'])} | {row['target']} "
            f"| {verdict(row['median'] * 1000 <= row['target'])} |"
        )
    if not context["facts"]["dashboard"]:
        lines.append("| dashboard | not available: the URL name `wells:dashboard` does not resolve | | | |")
    export, imported = context["export"], context["import"]
    export_rate = export["rows"] / export["seconds"]
    import_rate = imported["rows"] / imported["seconds"]
    lines += [
        "",
        "## Export and import through the API",
        "",
        "Each in a fresh process (Django's test client, the staff user), so that the peak resident memory "
        "(`ru_maxrss`) is the job's own; the baseline is the process before the request. Each job ran "
        f"{FILE_JOB_RUNS} times; the table gives the run of median time (every run: "
        "`bench/results.json`).",
        "",
        "| job | rows | seconds | rows/s | peak RSS MB (baseline) | target | |",
        "|---|---:|---:|---:|---:|---|---|",
        f"| `GET /api/v1/exports/wells.xlsx?campaign=…` | {export['rows']:,} | {export['seconds']:.1f} "
        f"| {export_rate:,.0f} | {export['peak_mb']:.0f} ({export['baseline_mb']:.0f}) "
        f"| ≥ {TARGET_EXPORT_ROWS_S:,} rows/s, ≤ {TARGET_EXPORT_MB} MB "
        f"| {verdict(export_rate >= TARGET_EXPORT_ROWS_S and export['peak_mb'] <= TARGET_EXPORT_MB)} |",
        f"| `POST /api/v1/imports/wells/` (new wells) | {imported['rows']:,} | {imported['seconds']:.1f} "
        f"| {import_rate:,.0f} | | ≥ {TARGET_IMPORT_ROWS_S:,} rows/s "
        f"| {verdict(import_rate >= TARGET_IMPORT_ROWS_S)} |",
        "",
    ]
    if context["excel"]:
        lines += [
            "Beside django-import-export on the same files (`bench/excel_bench.py`, its own scratch database "
            "on the same server; the jobs call the import and export functions directly, without HTTP):",
            "",
            *context["excel"],
            "",
        ]
    else:
        lines += ["django-import-export comparison: not available (bench/excel_bench.py missing or failed).", ""]
    low, high = context["think_ms"]
    lines += [
        "## Load: the list endpoint under concurrent clients",
        "",
        f"wrk (2 threads), {context['clients']} connections for {context['seconds']} s each run, cycling through "
        f"{context['load_paths']} list URLs (the first pages of the filters above but the 2-character search), "
        f"against gunicorn with {context['workers']} sync workers and again with {context['threaded_workers']} "
        f"threaded (gthread) workers of {context['threads']} threads. Without think time every client sends its "
        "next request as soon as the last is answered: the server's saturation. With think time each client "
        f"pauses {low}–{high} ms first, like a person paging through the list; wrk pauses with its connection "
        "open, which holds a sync worker idle for the pause, while a threaded worker waits for the request "
        "without holding a thread. Latency is from sending a request to its last byte; errors are socket "
        "errors, timeouts (10 s) and non-2xx answers.",
        "",
        "| gunicorn | clients | requests | throughput req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
        f"| target: no errors, p95 ≤ {TARGET_LOAD_P95_MS} ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    sync = f"{context['workers']} sync"
    threaded = f"{context['threaded_workers']} × {context['threads']} threads"
    for server, title, load in (
        (sync, f"{context['clients']}, no think time", context["load"]),
        (sync, f"{context['clients']}, think time {low}–{high} ms", context["paced"]),
        (threaded, f"{context['clients']}, no think time", context["threaded"]),
        (threaded, f"{context['clients']}, think time {low}–{high} ms", context["threaded_paced"]),
    ):
        ok = load["errors"] == 0 and load["p95"] / 1000 <= TARGET_LOAD_P95_MS
        lines.append(
            f"| {server} | {title} | {load['requests']:,} | {load['throughput']:,.1f} | {load['p50'] / 1000:,.1f} "
            f"| {load['p95'] / 1000:,.1f} | {load['p99'] / 1000:,.1f} | {load['max'] / 1000:,.1f} "
            f"| {load['errors']} | {verdict(ok)} |"
        )
    lines.append("")
    lines += context["notes"]
    Path(path).write_text("\n".join(lines) + "\n")


# Main --------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="wells to generate (default 1,000,000)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"a database to (re)create (default {DEFAULT_URL})")
    parser.add_argument("--reuse", action="store_true", help="keep a database that already holds --count wells")
    parser.add_argument("--repeat", type=int, default=30, help="requests per measurement (default 30)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument(
        "--threaded-workers", type=int, default=2, help="gunicorn gthread workers of the second load runs (default 2)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients of the load run (default 50)")
    parser.add_argument("--seconds", type=int, default=60, help="length of the load run (default 60)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--notes", default=str(ROOT / "bench" / "notes.md"), help="appended to the report")
    parser.add_argument("--results", default=str(ROOT / "bench" / "results.json"), help="the raw figures (JSON)")
    parser.add_argument(
        "--report-only", action="store_true", help="write the report again from --results and --notes, measure nothing"
    )
    parser.add_argument("--child", choices=list(CHILD_JOBS), help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellclosure.settings")
        import django

        django.setup()
        print(json.dumps(CHILD_JOBS[args.child](args)))
        return

    if args.report_only:
        write_report(args.output, json.loads(Path(args.results).read_text()), args.notes)
        say(f"Wrote {args.output}")
        return
    if not shutil.which("wrk"):
        sys.exit("The load run needs wrk: apt-get install wrk")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        env = django_env(args, Path(tmp) / "static")
        build_facts = build(args, env)
        manage(env, "collectstatic", "--noinput", "-v0")
        dataset = dataset_facts(args)
        facts = child(env, "setup")
        say(f"Data set: {dataset['wells']:,} wells, {dataset['events']:,} events, {dataset['size']}.")
        headers = {
            "staff": {"Authorization": f"Token {facts['tokens']['staff']}"},
            "officer": {"Authorization": f"Token {facts['tokens']['officer']}"},
            "leader_session": {"Cookie": f"sessionid={facts['sessions']['leader']}"},
            "admin_session": {"Cookie": f"sessionid={facts['sessions']['admin']}"},
        }
        server = Server(env, args.workers, args.port)
        load_average = {"start": os.getloadavg()[0], "nice": os.nice(0)}
        try:
            # No prepared statements: after five runs psycopg would prepare the
            # floor's query, and PostgreSQL's generic plan cannot use a
            # trigram index for a LIKE whose pattern it does not know.
            with connect(args.database_url, prepare_threshold=None) as conn:
                say("Well list, one request at a time …")
                lists = measure_lists(server, conn, facts, headers, args)
                say("Summary, dashboard, admin …")
                pages = measure_pages(server, conn, env, headers, facts, args)
            say("Load run …")
            load_paths = [
                "/api/v1/wells/?" + urlencode(case["params"] if isinstance(case["params"], list) else case["params"])
                for case in list_cases(facts)
                if case["who"] == "staff" and "2 characters" not in case["label"]
            ]
            load = load_run(server, facts, load_paths, args)
            say(f"  without think time: {load}")
            paced = load_run(server, facts, load_paths, args, think_ms=THINK_MS)
            say(f"  with think time: {paced}")
        finally:
            server.stop()
        # The same with threaded workers, which keep a waiting client's
        # connection without holding a worker for it.
        server = Server(env, args.threaded_workers, args.port, threads=args.threads)
        try:
            threaded = load_run(server, facts, load_paths, args)
            say(f"  threaded, without think time: {threaded}")
            threaded_paced = load_run(server, facts, load_paths, args, think_ms=THINK_MS)
            say(f"  threaded, with think time: {threaded_paced}")
            load_average["end"] = os.getloadavg()[0]
        finally:
            server.stop()
        say("Export …")
        export = median_job(env, "export", str(facts["campaign_small"]), facts["tokens"]["staff"])
        say("Import …")
        imported = median_job(env, "import", "10000", facts["tokens"]["staff"])
        excel = excel_comparison(args)

    context = {
        "date": datetime.date.today().isoformat(),
        "total_minutes": (time.monotonic() - started) / 60,
        "machine": machine(),
        "versions": versions(),
        "dataset": dataset,
        "build": build_facts,
        "count": args.count,
        # Not the bench users' tokens and sessions: the file is kept.
        "facts": {name: value for name, value in facts.items() if name not in ("tokens", "sessions")},
        "repeat": args.repeat,
        "workers": args.workers,
        "clients": args.clients,
        "seconds": args.seconds,
        "lists": lists,
        "pages": pages,
        "export": export,
        "import": imported,
        "excel": excel,
        "load": load,
        "paced": paced,
        "threaded_workers": args.threaded_workers,
        "threads": args.threads,
        "threaded": threaded,
        "threaded_paced": threaded_paced,
        "load_average": load_average,
        "think_ms": THINK_MS,
        "load_paths": len(load_paths),
    }
    Path(args.results).write_text(json.dumps(context, indent=1, ensure_ascii=False, default=str) + "\n")
    write_report(args.output, context, args.notes)
    say(f"Wrote {args.results} and {args.output}")


def excel_comparison(args):
    """bench/excel_bench.py's table (ours and django-import-export on the
    same files), run in a scratch database beside the bench one."""
    script = ROOT / "bench" / "excel_bench.py"
    if not script.exists():
        say("bench/excel_bench.py is not there: no django-import-export comparison.")
        return None
    scratch = with_database(args.database_url, urlsplit(args.database_url).path.lstrip("/") + "_excel")
    with connect(with_database(args.database_url, "postgres"), autocommit=True) as conn:
        name = urlsplit(scratch).path.lstrip("/")
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    say("django-import-export beside ours (bench/excel_bench.py) …")
    done = subprocess.run(
        [PYTHON, str(script), "--database-url", scratch, "--import-rows", "10000", "--export-rows", "100000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
    )
    if done.returncode:
        say(f"bench/excel_bench.py failed: {done.stderr[-1000:]}")
        return None
    table = [line for line in done.stdout.splitlines() if line.startswith("|")]
    say("\n".join(table))
    return table


if __name__ == "__main__":
    main()
