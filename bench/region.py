"""A region's ledger at a million wells (issue 19): the well list, the
summary and the dashboard as a county's officer, a county bureau's staff, a
prefecture's leader and the region's leader. Not a test: it needs a
dedicated database, and is never run by ``make test``.

    .venv/bin/python bench/region.py --database-url postgres://…/reg_million
        [--repeat 7] [--out bench/region_results.json]

The database holds ``manage.py generate_wells --region --count 1000000``
(migrated, then VACUUM ANALYZE). The script:

1. Picks the personas from the data: the largest prefecture (by wells; not
   6590, the cities under the region itself) and its largest county; that
   county's bureau staff (``staff_<county>``), the prefecture's leader
   (``leader_<prefecture>``), the region's leader (``leader_65``), and an
   officer of the county's township government with the most wells (made
   once as ``region_officer``). The generator made the bureau users.
2. Measures in this process with bench/sweep.py's helpers (Django's test
   client: the whole middleware and view, no HTTP; median and p95 of
   ``--repeat`` requests after one warm-up), for each persona: the API's
   well list (first page, and the 20th by its ``next`` links), the ledger
   page (first, and page 200), the summary without ``division`` (the
   persona's home division) and with the division one level below it, and
   the dashboard with and without that ``division``.
3. For a case whose p95 passes 300 ms, the slowest query of one more
   request with its ``EXPLAIN (ANALYZE, BUFFERS)``.

It writes every figure, the personas' scopes and the plans to ``--out``
(JSON) and prints the table as Markdown.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import sweep
from sweep import deep_path, measure, say, setup_django

TARGET_P95_MS = sweep.TARGET_P95_MS
PERSONAS = ("county officer", "county staff", "prefecture leader", "region leader")


def personas():
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.db.models.functions import Substr

    from accounts.choices import Role
    from accounts.models import User
    from wells.models import Well

    def largest(wells, length):
        return (
            wells.order_by()
            .annotate(part=Substr("township__division__path", 1, length))
            .values("part")
            .annotate(n=Count("pk"))
            .order_by("-n", "part")
        )

    prefecture = next(
        row["part"] for row in largest(Well.objects.all(), 4) if row["part"] and not row["part"].startswith("6590")
    )
    county = largest(Well.objects.filter(township__division__path__startswith=prefecture), 6)[0]["part"]
    township = (
        Well.objects.filter(township__division__path__startswith=county)
        .order_by()
        .values("responsible_unit_id", "township__division__path")
        .annotate(n=Count("pk"))
        .order_by("-n")[0]
    )
    officer, created = User.objects.get_or_create(
        username="region_officer", defaults={"unit_id": township["responsible_unit_id"], "is_staff": True}
    )
    if created:
        officer.groups.add(Group.objects.get(name=Role.TOWNSHIP_OFFICER))
    biggest_township = largest(Well.objects.filter(township__division__path__startswith=county), 9)[0]["part"]
    return {
        # persona: (user, the division one level below its home)
        "county officer": (officer, township["township__division__path"]),
        "county staff": (User.objects.get(username=f"staff_{county}"), biggest_township),
        "prefecture leader": (User.objects.get(username=f"leader_{prefecture}"), county),
        "region leader": (User.objects.get(username="leader_65"), prefecture),
    }


def cases(below):
    return [
        ("api: wells", "/api/v1/wells/", "next"),
        ("ledger", "/wells/", 200),
        ("api: summary", "/api/v1/stats/summary/", None),
        ("api: summary, division", f"/api/v1/stats/summary/?division={below}", None),
        ("dashboard", "/dashboard/", None),
        ("dashboard, division", f"/dashboard/?division={below}", None),
    ]


def slowest_query(client, path):
    """The slowest query of one request to ``path``, with its plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    worst = max(queries.captured_queries, key=lambda query: float(query["time"]))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {worst['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return {"ms": float(worst["time"]) * 1000, "sql": worst["sql"], "plan": plan}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", default=str(Path(__file__).with_name("region_results.json")))
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection
    from django.test import Client

    from wells.models import Well

    started = time.monotonic()
    people = personas()
    facts = {
        "wells": Well.objects.count(),
        "load_before": os.getloadavg(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database())), current_setting('jit')")
        facts["size"], facts["jit"] = cursor.fetchone()
    scopes = {}
    for name, (user, below) in people.items():
        scopes[name] = {
            "username": user.username,
            "unit": str(user.unit),
            "wells": Well.objects.visible_to(user).count(),
            "below": below,
        }
        say(f"{name}: {user.username} ({user.unit}), {scopes[name]['wells']:,} wells; below: {below}")
    rows = []
    for name, (user, below) in people.items():
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        for label, path, deep in cases(below):
            pages = [("first", path)]
            for page, target in pages:
                result = measure(client, target, args.repeat)
                result.pop("body")
                if page == "first" and deep is not None and result["status"] == 200:
                    deeper = deep_path(client, path, deep)
                    if deeper:
                        pages.append(("deep", deeper))
                if result["p95_ms"] > TARGET_P95_MS:
                    result["slowest"] = slowest_query(client, target)
                rows.append({"persona": name, "case": label, "page": page, "path": target, **result})
                say(
                    f"{name} · {label} · {page}: {result['status']} median {result['median_ms']:.0f} ms, "
                    f"p95 {result['p95_ms']:.0f} ms, {result['bytes'] / 1024:.0f} KB, {result['queries']} queries"
                )
    facts["load_after"] = os.getloadavg()
    facts["minutes"] = (time.monotonic() - started) / 60
    Path(args.out).write_text(
        json.dumps({"facts": facts, "scopes": scopes, "rows": rows}, ensure_ascii=False, indent=1, default=str)
    )
    print("| persona | case | page | median ms | p95 ms | KB | queries | p95 ≤ 300 ms |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for row in rows:
        verdict = "met" if row["p95_ms"] <= TARGET_P95_MS and row["status"] == 200 else "**missed**"
        print(
            f"| {row['persona']} | {row['case']} | {row['page']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | "
            f"{row['bytes'] / 1024:.0f} | {row['queries']} | {verdict} |"
        )
    for row in rows:
        if "slowest" in row:
            print(f"\n{row['persona']} · {row['case']} · {row['page']}: slowest query {row['slowest']['ms']:.0f} ms")
            print(row["slowest"]["plan"])


if __name__ == "__main__":
    sys.exit(main())
