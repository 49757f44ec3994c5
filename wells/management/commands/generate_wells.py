"""``manage.py generate_wells --count N``: a synthetic ledger at the scale
of a province, for load tests and ``bench/run.py``.

Townships with their governments, campaigns with their phases, and wells
spread over the lifecycle, each with the events that brought it to its
state, as :func:`wells.workflow.perform` would have written them: the
moves follow ``TRANSITIONS`` (a licensed well has its licence revoked
before the power is cut, a domestic well has its replacement supply
connected first), each event records the tracked fields it changed,
``version`` is the number of events plus one, and the dates run forward and
stop before today.

On PostgreSQL the rows go in with ``COPY`` (a million wells and their
events in a few minutes); elsewhere (SQLite, for small counts) with
``bulk_create``. Everything happens in one transaction: a failure leaves
the database as it was. No tasks or attachment files are made: the seal
events name no photo, since a million photo files would test the disk, not
the ledger.

By default the wells belong to one bureau (模拟市水利局, placed in no
division) over townships sim-001…, as bench/run.py and bench/sweep.py
expect. ``--region`` spreads them over a region's real divisions instead
(accounts/data/divisions_65.csv, issue 19): a bureau for the region, each
prefecture and each county, each with a staff and a leader user (the only
users made, without a usable password), the campaigns run by the county
bureaus over their own townships, and counties and townships of uneven
size; ``--region 6523`` keeps to one prefecture (with the bureaus above it).
"""

import datetime
import itertools
import json
import random
import time

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import DivisionLevel, Role, UnitKind
from accounts.divisions import load_divisions
from accounts.models import Division, Unit, User
from wells import tally
from wells.choices import TRANSITIONS, Action, Category, OwnerKind, Status, Use, Zone
from wells.models import Campaign, Phase, Township, Well, WellEvent

MAX_COUNT = 10_000_000
BATCH = 20_000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文辉玉兰春海林峰鹏飞宇浩"
PLACE = "东西南北中前后上下大小新老高王李张刘赵马杨郭何白石河山沟庄营屯店桥湖塔泉堡铺口坡"
INDUSTRY = ["农业开发", "养殖", "食品", "建材", "化工", "纺织", "机械", "物流", "果蔬", "热力"]
INSTITUTIONS = ["中心小学", "中学", "卫生院", "敬老院", "林场", "农场", "苗圃"]
METHODS = ["回填封井", "混凝土封堵", "拆除井台后回填", "砂石回填并封盖"]
PHASES = [("体系建立", 45), ("宣传动员", 90), ("集中整治", 540), ("巩固提升", 630)]

# Where the generated townships lie: the North China Plain, the country's
# largest groundwater funnel (inside China's bounding box, CHINA_LAT/LNG).
LAT_RANGE = (36.0, 41.5)
LNG_RANGE = (114.0, 119.0)

# A region's ledger (--region): Xinjiang, code 65, and where its wells lie.
REGION_PATH = "65"
REGION_BUREAU = "新疆维吾尔自治区水利厅"
# 自治区直辖县级行政区划: cities under the region itself, no government of
# their own between them and it (their bureaus report to the region's).
NO_BUREAU = frozenset({"6590"})
XINJIANG_LAT = (36.0, 48.0)
XINJIANG_LNG = (75.0, 95.0)
# The spread of the sizes: a county's wells and a township's share of its
# county's are drawn from log-normals of these sigmas (σ 1 puts the largest
# of a hundred counties at about twenty times the median one); a city
# district holds this share of a county's.
COUNTY_SIGMA = 1.0
TOWNSHIP_SIGMA = 0.6
URBAN_SHARE = 0.2

USE_WEIGHTS = [
    (Use.IRRIGATION, 45),
    (Use.DOMESTIC, 20),
    (Use.LIVESTOCK, 10),
    (Use.INDUSTRIAL, 12),
    (Use.GREENING, 13),
]
OWNER_KIND_WEIGHTS = [
    (OwnerKind.PERSON, 55),
    (OwnerKind.ENTERPRISE, 20),
    (OwnerKind.INSTITUTION, 10),
    (OwnerKind.COLLECTIVE, 15),
]

# How far the wells of a campaign have come: shares of the last state each
# well reached, for a campaign just begun and for one past its deadline; a
# campaign in between mixes the two by the share of its time that has run.
# Stages: 0 inventoried, 1 notified, 2 licence revoked, 3 disconnected,
# 4 sealed, 5 accepted, 6 accepted then found in use again.
YOUNG = [16, 25, 8, 15, 15, 20, 1]
MATURE = [2, 4, 2, 4, 6, 80, 2]
STAGE_STATUS = [
    Status.INVENTORIED,
    Status.NOTIFIED,
    Status.LICENSE_REVOKED,
    Status.DISCONNECTED,
    Status.SEALED,
    Status.ACCEPTED,
    Status.REACTIVATED,
]
RETAINED_SHARE = 0.06
LICENSED_SHARE = 0.5
ESCALATED_SHARE = 0.5
REVERTED_SHARE = 0.15
# Of the accepted wells, those that were found in use once and closed again.
RECLOSED_SHARE = 0.12
# The dates among the fields an event changes (wells.workflow.TRACKED_FIELDS).
TRACKED_DATES = ("comply_by", "review_on", "accepted_on")


# One encoder for the millions of small objects (json.dumps with options
# builds a new one each call).
_to_json = json.JSONEncoder(ensure_ascii=False).encode


class FastRandom(random.Random):
    """``randint`` without the checks that make the standard one slow; the
    bias of a float's 53 bits is nothing next to the ranges drawn here."""

    def randint(self, a, b):
        return a + int(self.random() * (b - a + 1))


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    cumulative = list(itertools.accumulate(weights))
    return lambda: rng.choices(values, cum_weights=cumulative)[0]


class Ledger:
    """Makes the rows of wells and their events as database text, one well
    at a time, with ids from ``next_well_id`` and ``next_event_id`` on."""

    def __init__(self, rng, *, townships, campaigns, today, next_well_id, next_event_id, region=False):
        self.rng = rng
        self.townships = townships
        self.campaigns = campaigns
        # A region's ledger (--region): a township is drawn by its weight,
        # then one of its county bureau's campaigns; the licences are
        # Xinjiang's (新), not Hebei's (冀).
        self.region = region
        self.province = "新" if region else "冀"
        if region:
            self.township_weights = list(itertools.accumulate(t["weight"] for t in townships))
        self.today = today
        self.well_id = next_well_id
        self.event_id = next_event_id
        self.pick_use = _weighted(rng, USE_WEIGHTS)
        self.pick_owner_kind = _weighted(rng, OWNER_KIND_WEIGHTS)
        self.campaign_weights = list(itertools.accumulate(c["share"] for c in campaigns))
        # Precomputed per campaign: the chance of each stage.
        for campaign in campaigns:
            elapsed = (today - campaign["issued_on"]).days / max(1, (campaign["deadline"] - campaign["issued_on"]).days)
            mix = min(1.0, max(0.0, elapsed))
            campaign["stage_weights"] = list(
                itertools.accumulate((1 - mix) * y + mix * m for y, m in zip(YOUNG, MATURE, strict=True))
            )
        self.events = 0

    # People and places ----------------------------------------------------

    def person(self):
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    def owner(self, kind, township, village):
        rng = self.rng
        if kind == OwnerKind.PERSON:
            return self.person()
        if kind == OwnerKind.ENTERPRISE:
            return f"{township['short']}{rng.choice(PLACE)}{rng.choice(PLACE)}{rng.choice(INDUSTRY)}有限公司"
        if kind == OwnerKind.INSTITUTION:
            return f"{township['short']}{rng.choice(INSTITUTIONS)}"
        return f"{village}村民委员会"

    # One well ---------------------------------------------------------------

    def well(self):
        """(the well's row, its events' rows), as the COPY text of each column."""
        rng = self.rng
        well_id = self.well_id
        self.well_id += 1
        if self.region:
            township = rng.choices(self.townships, cum_weights=self.township_weights)[0]
            campaign = rng.choices(township["campaigns"], cum_weights=township["campaign_weights"])[0]
        else:
            campaign = rng.choices(self.campaigns, cum_weights=self.campaign_weights)[0]
            township = rng.choice(self.townships)
        village = rng.choice(township["villages"])
        owner_kind = self.pick_owner_kind()
        unit_id = township["unit_id"] if rng.random() >= 0.03 else township["bureau_id"]

        retained = rng.random() < RETAINED_SHARE
        if retained:
            category = Category.RETAINED
            uses = {Use.EMERGENCY} | ({Use.DOMESTIC} if rng.random() < 0.3 else set())
        else:
            category = Category.LICENSED if rng.random() < LICENSED_SHARE else Category.UNLICENSED
            uses = {self.pick_use()}
            if rng.random() < 0.15:
                uses.add(self.pick_use())
        licensed = category == Category.LICENSED or (retained and rng.random() < 0.5)
        license_no = (
            f"取水({self.province})字〔{campaign['issued_on'].year - rng.randint(3, 15)}〕第{well_id % 100000:05d}号"
        )

        deadline = township["deadlines"][campaign["pk"]] if rng.random() >= 0.01 else None
        created = campaign["issued_on"] + datetime.timedelta(days=rng.randint(0, 20))
        state = dict.fromkeys(TRACKED_DATES, None) | {"status": Status.INVENTORIED, "enforced": False}
        facts = {"supply_connected_on": None, "licensed": licensed, "license_no": license_no, "uses": uses}
        if retained:
            events = self.retained_history(well_id, created, state)
        else:
            events = self.closure_history(well_id, campaign, created, state, facts)

        updated = events[-1][7] if events else _timestamp(created, 9, 0)
        code = f"JJ-{township['number']:03d}-{well_id:07d}"
        row = (
            str(well_id),
            code,
            self.owner(owner_kind, township, village),
            owner_kind,
            str(township["pk"]),
            village,
            f"{township['lat'] + rng.uniform(-0.08, 0.08):.6f}",
            f"{township['lng'] + rng.uniform(-0.08, 0.08):.6f}",
            Zone.PROHIBITED if rng.random() < 0.8 else Zone.RESTRICTED,
            "," + ",".join(use for use, _weight in [*USE_WEIGHTS, (Use.EMERGENCY, 0)] if use in uses) + ",",
            f"{rng.uniform(30, 300):.2f}",
            license_no if licensed else "",
            f"13{township['number']:03d}{well_id:08d}",
            str(unit_id),
            township["officers"][well_id % len(township["officers"])],
            deadline.isoformat() if deadline else None,
            str(campaign["pk"]),
            category,
            state["status"],
            str(len(events) + 1),
            "t" if state["enforced"] else "f",
            _iso(state["comply_by"]),
            _iso(state["review_on"]),
            _iso(facts["supply_connected_on"]),
            _iso(state["accepted_on"]),
            "",
            _timestamp(created, 9, 0),
            updated,
        )
        self.events += len(events)
        return row, events

    def retained_history(self, well_id, day, state):
        """Most retained wells were retained once; some were released and
        retained again; a few wait in the inventory."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:
            actions = []
        elif roll < 0.95:
            actions = [Action.RETAIN]
        else:
            actions = [Action.RETAIN, Action.RELEASE, Action.RETAIN]
        events = []
        for action in actions:
            day = self.later(day, 5, 60)
            if action == Action.RETAIN:
                review_on = day + datetime.timedelta(days=rng.choice([365, 730, 1095]))
                data = {"reason": "城市应急备用水源", "review_on": review_on.isoformat()}
                events.append(self.event(well_id, action, state, day, data, review_on=review_on))
            else:
                data = {"reason": "替代水源未建成，重新评估"}
                events.append(self.event(well_id, action, state, day, data, review_on=None))
        return events

    def closure_history(self, well_id, campaign, day, state, facts):
        """The events that took the well to the stage drawn for it."""
        rng = self.rng
        stage = rng.choices(range(len(STAGE_STATUS)), cum_weights=campaign["stage_weights"])[0]
        if stage == 2 and not facts["licensed"]:
            stage = 1
        events = []
        rounds = 2 if stage == 5 and rng.random() < RECLOSED_SHARE else 1
        revert_at = rng.randint(1, 5) if rng.random() < REVERTED_SHARE else 0
        for round_no in range(rounds):
            last = stage if round_no == rounds - 1 else 6
            for step in range(1, min(last, 5) + 1):
                if step == 2 and not facts["licensed"]:
                    continue
                day = self.step(well_id, step, campaign, day, state, facts, events)
                if day is None:
                    return events
                if step == revert_at and round_no == 0:
                    # Recorded by mistake, reverted, and recorded again.
                    day = self.later(day, 1, 5)
                    if day is None:
                        return events
                    undone = events[-1]
                    events.append(self.revert(well_id, state, day, undone))
                    events.append(self.redo(well_id, state, day, undone))
            if last == 6:
                day = self.later(day, 60, 300)
                if day is None:
                    return events
                data = {"reason": "回头看发现复用"}
                events.append(self.event(well_id, Action.REACTIVATE, state, day, data, enforced=False))
        return events

    def step(self, well_id, step, campaign, day, state, facts, events):
        """Take the action of ``step``; the day it was taken, or None if that
        day has not come yet (the well stays where it is)."""
        rng = self.rng
        day = self.later(day, 3, 45)
        if day is None:
            return None
        if step == 1:
            comply_by = day + datetime.timedelta(days=rng.choice([15, 30, 30, 60]))
            data = {
                "notice_no": f"{campaign['prefix']}〔{day.year}〕{rng.randint(1, 999)}号",
                "served_on": day.isoformat(),
                "comply_by": comply_by.isoformat(),
            }
            events.append(self.event(well_id, Action.NOTIFY, state, day, data, comply_by=comply_by, enforced=False))
            if rng.random() < ESCALATED_SHARE:
                late = self.later(comply_by, 1, 20)
                if late is not None:
                    data = {"reason": "逾期未自行关停", "comply_by": comply_by.isoformat()}
                    events.append(self.event(well_id, Action.ESCALATE, state, late, data, enforced=True))
                    day = late
        elif step == 2:
            data = {
                "revocation_no": f"{self.province}水许注〔{day.year}〕{rng.randint(1, 999)}号",
                "revoked_on": day.isoformat(),
                "license_no": facts["license_no"],
            }
            events.append(self.event(well_id, Action.REVOKE_LICENSE, state, day, data))
        elif step == 3:
            if Use.DOMESTIC in facts["uses"]:
                # The replacement supply comes first (先通水后关停).
                facts["supply_connected_on"] = day - datetime.timedelta(days=rng.randint(1, 30))
            data = {"disconnected_on": day.isoformat()}
            events.append(self.event(well_id, Action.DISCONNECT, state, day, data))
        elif step == 4:
            data = {"sealed_on": day.isoformat(), "method": rng.choice(METHODS), "attachments": []}
            events.append(self.event(well_id, Action.SEAL, state, day, data))
        else:
            data = {"accepted_on": day.isoformat(), "inspectors": f"{self.person()}、{self.person()}"}
            events.append(self.event(well_id, Action.ACCEPT, state, day, data, accepted_on=day))
        return day

    def revert(self, well_id, state, day, undone):
        """Undo the event row ``undone``, as the workflow's revert does."""
        data = {"reason": "录入错误，撤回", "reverted_event": int(undone[0]), "reverted_action": undone[2]}
        restore = _tracked(undone, 0)
        return self.event(well_id, Action.REVERT, state, day, data, to_status=undone[3], **restore)

    def redo(self, well_id, state, day, undone):
        """Take the reverted event's action again, with the same facts."""
        action = Action(undone[2])
        return self.event(well_id, action, state, day, json.loads(undone[10]), **_tracked(undone, 1))

    def later(self, day, low, high):
        day = day + datetime.timedelta(days=self.rng.randint(low, high))
        return day if day < self.today else None

    def event(self, well_id, action, state, day, data, *, to_status=None, **fields):
        """One event's row, and the well's tracked fields moved on."""
        before = dict(state)
        target = TRANSITIONS[action][1]
        if action == Action.REVERT:
            target = to_status
        if target is not None:
            state["status"] = target
        state.update(fields)
        changes = {
            field: [_json_value(before[field]), _json_value(state[field])]
            for field in state
            if before[field] != state[field]
        }
        event_id = self.event_id
        self.event_id += 1
        return (
            str(event_id),
            str(well_id),
            action,
            before["status"],
            state["status"],
            None,
            "模拟数据",
            _timestamp(day, self.rng.randint(1, 9), self.rng.randint(0, 59)),
            "",
            _to_json(changes),
            _to_json(data),
        )


def _tracked(event_row, side):
    """The tracked fields (but the status) that the event changed: their
    values before it (``side`` 0) or after it (1)."""
    changes = json.loads(event_row[9])
    values = {field: pair[side] for field, pair in changes.items() if field != "status"}
    return {
        field: datetime.date.fromisoformat(value) if field in TRACKED_DATES and value else value
        for field, value in values.items()
    }


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _iso(day):
    return day.isoformat() if day else None


def _timestamp(day, hour, minute):
    # Office hours in Shanghai are 01:00–09:59 UTC.
    return f"{day.isoformat()} {hour:02d}:{minute:02d}:00+00:00"


WELL_COLUMNS = [
    "id",
    "code",
    "owner_name",
    "owner_kind",
    "township_id",
    "village",
    "lat",
    "lng",
    "zone",
    "uses",
    "depth_m",
    "license_no",
    "meter_no",
    "responsible_unit_id",
    "responsible_person",
    "deadline",
    "campaign_id",
    "category",
    "status",
    "version",
    "enforced",
    "comply_by",
    "review_on",
    "supply_connected_on",
    "accepted_on",
    "note",
    "created_at",
    "updated_at",
]
EVENT_COLUMNS = [
    "id",
    "well_id",
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "actor_name",
    "created_at",
    "note",
    "changes",
    "data",
]


class Command(BaseCommand):
    help = (
        "Add N synthetic wells with their lifecycle events (and the townships, units and campaigns they need) "
        "for load tests and benchmarks. Uses COPY on PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="How many wells to add.")
        parser.add_argument("--townships", type=int, help="How many townships (default: one per 2,500 wells).")
        parser.add_argument("--campaigns", type=int, help="How many campaigns (default: one per 250,000 wells).")
        parser.add_argument("--seed", type=int, default=2022, help="Seed of the random data (default 2022).")
        parser.add_argument(
            "--region",
            nargs="?",
            const=REGION_PATH,
            metavar="CODE",
            help=(
                "Spread the wells over the real divisions of Xinjiang (accounts/data/divisions_65.csv, loaded if "
                "missing), or those under CODE (6523: one prefecture): a bureau with its staff and leader users for "
                "the region, each prefecture and each county, the campaigns run by the county bureaus, counties of "
                "uneven size. --campaigns is then per county (default 1, 2 from 500,000 wells); --townships does "
                "not apply."
            ),
        )

    def handle(self, *args, count, townships=None, campaigns=None, seed, region=None, **options):
        if not 1 <= count <= MAX_COUNT:
            raise CommandError(f"--count must be from 1 to {MAX_COUNT:,}.")
        if region:
            if townships is not None:
                raise CommandError("--townships does not apply with --region: the townships are the region's own.")
            campaigns = campaigns or (2 if count >= 500_000 else 1)
            if not 1 <= campaigns <= 5:
                raise CommandError("--campaigns (per county with --region) must be from 1 to 5.")
        else:
            townships = townships or min(400, max(3, count // 2500))
            campaigns = campaigns or min(4, max(1, count // 250_000))
            if not 1 <= townships <= 999:
                raise CommandError("--townships must be from 1 to 999.")
            if not 1 <= campaigns <= 20:
                raise CommandError("--campaigns must be from 1 to 20.")

        started = time.monotonic()
        rng = FastRandom(seed)
        today = timezone.localdate()
        writer = CopyWriter() if connection.vendor == "postgresql" else BulkWriter()
        with transaction.atomic():
            writer.lock()
            if region:
                places, plans = self.make_region(rng, campaigns, today, region)
            else:
                bureau, _created = Unit.objects.get_or_create(name="模拟市水利局", defaults={"kind": UnitKind.BUREAU})
                places = self.make_townships(rng, townships, bureau)
                plans = self.make_campaigns(rng, campaigns, today, bureau, places)
            ledger = Ledger(
                rng,
                townships=places,
                campaigns=plans,
                region=bool(region),
                today=today,
                next_well_id=writer.next_id(Well),
                next_event_id=writer.next_id(WellEvent),
            )
            done = 0
            while done < count:
                size = min(BATCH, count - done)
                wells, events = [], []
                for _number in range(size):
                    row, history = ledger.well()
                    wells.append(row)
                    events.extend(history)
                writer.write(Well, WELL_COLUMNS, wells)
                writer.write(WellEvent, EVENT_COLUMNS, events)
                done += size
                if options["verbosity"] > 1:
                    self.stdout.write(f"{done:,} wells, {ledger.events:,} events, {time.monotonic() - started:.0f} s")
            writer.finish()
            tally.compact()
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {count:,} wells with {ledger.events:,} events in {len(places)} townships and "
                f"{len(plans)} campaigns in {elapsed:.1f} s ({count / elapsed:,.0f} wells/s)."
            )
        )

    def make_townships(self, rng, number, bureau):
        """Townships sim-001… with their governments, reused when they exist."""
        places = []
        names = _township_names(rng, number)
        for index, name in enumerate(names, start=1):
            code = f"sim-{index:03d}"
            township = Township.objects.filter(code=code).select_related("government").first()
            if township is None:
                if Township.objects.filter(name=name).exists():
                    name = f"{name}{index}"
                suffix = "办事处" if name.endswith("街道") else "人民政府"
                unit, _created = Unit.objects.get_or_create(
                    name=f"{name}{suffix}", defaults={"kind": UnitKind.TOWNSHIP}
                )
                township = Township.objects.create(code=code, name=name, government=unit)
            short = township.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
            places.append(
                {
                    "pk": township.pk,
                    "number": index,
                    "short": short,
                    "unit_id": township.government_id or bureau.pk,
                    "bureau_id": bureau.pk,
                    "lat": rng.uniform(*LAT_RANGE),
                    "lng": rng.uniform(*LNG_RANGE),
                    "villages": [f"{rng.choice(PLACE)}{rng.choice(PLACE)}{rng.choice('村庄屯营')}" for _ in range(25)],
                    "officers": [_person(rng) for _ in range(3)],
                    "deadlines": {},
                }
            )
        return places

    def make_campaigns(self, rng, number, today, bureau, places):
        """One campaign a year, the newest issued a year ago; older ones hold
        fewer wells (the newest holds ``number`` shares of ``1+2+…``)."""
        plans = []
        for age in range(number - 1, -1, -1):
            year = today.year - 1 - age
            issued_on = datetime.date(year, 3, 14)
            deadline = datetime.date(year + 2, 11, 30)
            name = f"地下水禁采区机电井关停（模拟数据）{year}年度"
            campaign = Campaign.objects.filter(name=name).first()
            if campaign is None:
                campaign = _create_campaign(
                    today,
                    name=name,
                    notice_no=f"冀模政办发〔{year}〕{rng.randint(1, 60)}号",
                    issued_on=issued_on,
                    deadline=deadline,
                    lead_unit=bureau,
                )
            _set_deadlines(rng, campaign, places)
            plans.append(_plan(campaign, share=len(plans) + 1, prefix=f"模关停通字{campaign.pk}"))
        return plans

    # A region's ledger (--region) ------------------------------------------

    def make_region(self, rng, per_county, today, root_path):
        """The divisions of Xinjiang (loaded if missing) under ``root_path``
        with a bureau for the region, each prefecture and each county (but
        6590, a list of cities under the region rather than a government),
        above the root too, each with a staff and a leader user; a township
        with its government for every township division; ``per_county``
        campaigns run by each county bureau, whose wells lie in its
        townships. The counties' sizes are uneven (drawn from a log-normal:
        a few hold many times the wells of most, a city's districts
        fewer), and so are their townships'. Existing bureaus, townships,
        users and campaigns of the same divisions and names are reused (the
        demo's 昌吉市水利局 and 昌吉州水利局 among them)."""
        load_divisions()
        root = Division.objects.filter(path=root_path).first()
        if root is None or root.level == DivisionLevel.TOWNSHIP:
            raise CommandError(f"--region: no region, prefecture or county has the code {root_path}.")
        divisions = [*root.ancestors(), *Division.objects.filter(path__startswith=root.path).order_by("path")]
        groups = {role: Group.objects.get(name=role) for role in (Role.BUREAU_STAFF, Role.LEADER)}
        bureaus = {}
        for division in divisions:
            if division.level != DivisionLevel.TOWNSHIP and division.path not in NO_BUREAU:
                bureaus[division.path] = _bureau_of(division, groups)
        children = {}
        for division in divisions:
            children.setdefault(division.parent_id, []).append(division)
        existing = {t.division_id: t for t in Township.objects.filter(division__path__startswith=root.path)}
        taken = set(Township.objects.values_list("name", flat=True))
        centres = {}
        places, plans = [], []
        for county in (d for d in divisions if d.level == DivisionLevel.COUNTY):
            prefecture = county.path[:4]
            if prefecture not in centres:
                centres[prefecture] = (rng.uniform(*XINJIANG_LAT), rng.uniform(*XINJIANG_LNG))
            lat, lng = centres[prefecture]
            lat, lng = (
                _clamp(lat + rng.uniform(-1.2, 1.2), XINJIANG_LAT),
                _clamp(lng + rng.uniform(-1.5, 1.5), XINJIANG_LNG),
            )
            # A city's districts hold fewer wells than the farming counties.
            size = rng.lognormvariate(0, COUNTY_SIGMA) * (URBAN_SHARE if county.name.endswith("区") else 1)
            bureau = bureaus[county.path]
            county_plans = self.county_campaigns(rng, per_county, today, county, bureau)
            plans.extend(county_plans)
            townships = children.get(county.pk, [])
            shares = [rng.lognormvariate(0, TOWNSHIP_SIGMA) for _ in townships]
            total = sum(shares)
            for division, share in zip(townships, shares, strict=True):
                township = existing.get(division.pk) or _township_of(division, county, taken)
                place = {
                    "pk": township.pk,
                    "number": len(places) + 1,
                    "short": township.name.split("（")[0].removesuffix("街道").removesuffix("镇").removesuffix("乡"),
                    "unit_id": township.government_id or bureau.pk,
                    "bureau_id": bureau.pk,
                    "lat": _clamp(lat + rng.uniform(-0.3, 0.3), XINJIANG_LAT),
                    "lng": _clamp(lng + rng.uniform(-0.3, 0.3), XINJIANG_LNG),
                    "villages": [f"{rng.choice(PLACE)}{rng.choice(PLACE)}{rng.choice('村庄屯营')}" for _ in range(25)],
                    "officers": [_person(rng) for _ in range(3)],
                    "deadlines": {},
                    "weight": size * share / total,
                    "campaigns": county_plans,
                    "campaign_weights": list(itertools.accumulate(plan["share"] for plan in county_plans)),
                }
                places.append(place)
            for plan in county_plans:
                _set_deadlines(rng, plan["campaign"], places[len(places) - len(townships) :])
        for plan in plans:
            del plan["campaign"]
        return places, plans

    def county_campaigns(self, rng, number, today, county, bureau):
        """The county bureau's campaigns, one a year as in a single bureau's
        ledger, the newest holding the most wells."""
        plans = []
        for age in range(number - 1, -1, -1):
            year = today.year - 1 - age
            name = f"{county.name}地下水超采区机电井关停（模拟数据）{year}年度"
            campaign = Campaign.objects.filter(name=name, bureau=bureau).first()
            if campaign is None:
                campaign = _create_campaign(
                    today,
                    name=name,
                    notice_no=f"新模{county.path}政办发〔{year}〕{rng.randint(1, 60)}号",
                    issued_on=datetime.date(year, 3, 14),
                    deadline=datetime.date(year + 2, 11, 30),
                    lead_unit=bureau,
                    bureau=bureau,
                )
            plans.append(_plan(campaign, share=len(plans) + 1, prefix=f"新模{county.path}关") | {"campaign": campaign})
        return plans


def _create_campaign(today, **fields):
    """A campaign with the four phases of a plan, those past done."""
    campaign = Campaign.objects.create(**fields)
    issued_on, deadline = campaign.issued_on, campaign.deadline
    Phase.objects.bulk_create(
        Phase(
            campaign=campaign,
            order=order,
            name=phase,
            deadline=min(deadline, issued_on + datetime.timedelta(days=days)),
            completed_on=issued_on + datetime.timedelta(days=days - 5)
            if issued_on + datetime.timedelta(days=days) < today
            else None,
        )
        for order, (phase, days) in enumerate(PHASES, start=1)
    )
    return campaign


def _set_deadlines(rng, campaign, places):
    span = (campaign.deadline - campaign.issued_on).days
    for place in places:
        # Each township answers for its wells by one deadline (a month's end).
        day = campaign.issued_on + datetime.timedelta(days=rng.randint(span // 3, span))
        place["deadlines"][campaign.pk] = _month_end(day)


def _plan(campaign, *, share, prefix):
    return {
        "pk": campaign.pk,
        "issued_on": campaign.issued_on,
        "deadline": campaign.deadline,
        "prefix": prefix,
        "share": share,
    }


def _bureau_of(division, groups):
    """The water bureau placed in ``division`` (made if none is), with a
    staff user ``staff_<code>`` and a leader ``leader_<code>`` (made if
    missing, without a usable password: a load test signs them in by
    session; an administrator sets one to use them)."""
    bureau = Unit.objects.filter(kind=UnitKind.BUREAU, division=division).order_by("pk").first()
    if bureau is None:
        name = REGION_BUREAU if division.level == DivisionLevel.REGION else f"{division.name}水利局"
        if Unit.objects.filter(name=name).exists():
            name = f"{name}（{division.path}）"
        bureau = Unit.objects.create(name=name, kind=UnitKind.BUREAU, division=division)
    for prefix, role, title in (("staff", Role.BUREAU_STAFF, "工作人员"), ("leader", Role.LEADER, "领导")):
        user, created = User.objects.get_or_create(
            username=f"{prefix}_{division.path}",
            defaults={
                "unit": bureau,
                "display_name": f"{bureau.name}{title}"[:50],
                "is_staff": True,
                "password": make_password(None),
            },
        )
        if created:
            user.groups.add(groups[role])
    return bureau


def _township_of(division, county, taken):
    """A township for the township division, with its government; a name
    another township has is followed by its county's (城关镇（和静县）)."""
    name = division.name
    if name in taken:
        name = f"{name}（{county.name}）"
    if name in taken:
        name = f"{name[:-1]}{division.path}）"
    taken.add(name)
    suffix = "办事处" if division.name.endswith("街道") else "人民政府"
    government, _created = Unit.objects.get_or_create(
        name=f"{county.name}{division.name}{suffix}", defaults={"kind": UnitKind.TOWNSHIP, "division": division}
    )
    township = Township.objects.filter(code=division.path).first()
    if township is None:
        return Township.objects.create(code=division.path, name=name, government=government, division=division)
    if township.division_id is None:
        township.division = division
        township.save(update_fields=["division"])
    return township


def _clamp(value, bounds):
    return min(max(value, bounds[0]), bounds[1])


def _person(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _month_end(day):
    first_of_next = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return first_of_next - datetime.timedelta(days=1)


def _township_names(rng, number):
    names, seen = [], set()
    while len(names) < number:
        name = rng.choice(PLACE) + rng.choice(PLACE) + rng.choice(["镇", "镇", "乡", "街道"])
        if name in seen:
            name = f"{name[:2]}{len(names) + 1}{name[2:]}"
        seen.add(name)
        names.append(name)
    return names


class CopyWriter:
    """PostgreSQL: the rows go in with COPY, the fastest way in. Into empty
    tables, the secondary indexes and foreign keys are dropped first and
    made again at the end, as PostgreSQL's manual advises for a bulk load
    ("Populating a Database"): building an index once costs far less than
    growing it row by row, and one join checks a foreign key faster than a
    trigger per row. It all happens inside the command's transaction."""

    def __init__(self):
        self.rebuild = []

    def lock(self):
        # Ids are handed out here, not by the sequences: keep other writers
        # out until the sequences are moved past them.
        tables = [m._meta.db_table for m in (Well, WellEvent)]
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(map(connection.ops.quote_name, tables))} IN EXCLUSIVE MODE")
            if Well.objects.exists() or WellEvent.objects.exists():
                return
            cursor.execute(
                """
                SELECT format('DROP INDEX %%s', indexrelid::regclass), pg_get_indexdef(indexrelid)
                FROM pg_index WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary AND NOT indisunique
                UNION ALL
                SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
                       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname,
                              pg_get_constraintdef(oid))
                FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype = 'f'
                """,
                [tables, tables],
            )
            for drop, create in cursor.fetchall():
                cursor.execute(drop)
                self.rebuild.append(create)

    def next_id(self, model):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(model._meta.db_table)}")
            return cursor.fetchone()[0]

    def write(self, model, columns, rows):
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self):
        with connection.cursor() as cursor:
            if self.rebuild:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in self.rebuild:
                cursor.execute(statement)
            for statement in connection.ops.sequence_reset_sql(no_style(), [Well, WellEvent]):
                cursor.execute(statement)


class BulkWriter(CopyWriter):
    """Other databases (SQLite, for tests and small counts): bulk_create."""

    def lock(self):
        pass

    def finish(self):
        pass

    def next_id(self, model):
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        return (last or 0) + 1

    def write(self, model, columns, rows):
        fields = [model._meta.get_field(column.removesuffix("_id")) for column in columns]
        objects = []
        for row in rows:
            values = {}
            for field, column, text in zip(fields, columns, row, strict=True):
                if text is None:
                    values[field.attname] = None
                elif field.get_internal_type() == "JSONField":
                    values[field.attname] = json.loads(text)
                elif field.get_internal_type() == "BooleanField":
                    values[field.attname] = text == "t"
                elif field.is_relation:
                    values[column] = int(text)
                else:
                    values[field.attname] = field.to_python(text)
            objects.append(model(**values))
        # bulk_create stamps auto_now(_add) fields with the present time: put
        # the history's times back afterwards.
        stamped = [field.attname for field in model._meta.concrete_fields if getattr(field, "auto_now_add", False)]
        stamped += [field.attname for field in model._meta.concrete_fields if getattr(field, "auto_now", False)]
        times = [[getattr(obj, name) for name in stamped] for obj in objects]
        model.objects.bulk_create(objects, batch_size=500)
        if stamped:
            for obj, values in zip(objects, times, strict=True):
                for name, value in zip(stamped, values, strict=True):
                    setattr(obj, name, value)
            model.objects.bulk_update(objects, stamped, batch_size=500)
