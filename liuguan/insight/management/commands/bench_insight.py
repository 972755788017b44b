"""python manage.py bench_insight --stays 10000000: every dashboard panel from the cells beside the direct query.

PostgreSQL only (a column of ten million stays is not a SQLite workload). Builds N synthetic stays in bulk on the
server (generate_series; no audit events, as a bulk load has none) spread over the province's real communities
(the capital and urban districts weigh more), five years of arrivals with a Spring Festival dip, people with sex,
birth dates and hukou counties over real prefectures (most from the province, then its neighbours), employers of
every industry, houses of every kind and tenancy filings for most rented ones. Then it times:

- the full rebuild of the cells (`rollup_rebuild`);
- every panel of `panels.PANELS` at the province, its largest prefecture, county, township and community: from the
  cells (cold: a new connection's first call; warm: the median of --repeat calls) and the direct query over the
  live tables (`LiveSource`, first call and the median of --live-repeat calls), with the ratio live / cells;
- the time from a stay registered through the registry service to the cells counting it (`rollup_refresh`),
  several times, and a refresh with nothing new;
- the peak resident memory of this process.

Use a database of its own (DATABASE_URL); it refuses to run twice over the same synthetic rows. The synthetic
rows are removed at the end unless --keep (dropping the scratch database is quicker at ten million).
"""

import datetime as dt
import resource
import statistics
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.errors import Conflict
from liuguan.core.identity import china_today, mod11_2_check
from liuguan.geo.models import Division, Level, Office, OfficeKind
from liuguan.geo.names import national_names
from liuguan.insight.models import Cell
from liuguan.insight.panels import PANELS, build_panel
from liuguan.insight.rollup import rollup_rebuild, rollup_refresh
from liuguan.registry.models import Person, Stay
from liuguan.registry.services import LikelyDuplicate, PersonInput, StayInput, person_register

MARK = "BENCHIN"
PREFIX = "benchin-"
GOAL_MS = 300
# Spring Festival (New Year's day) of the years the arrivals span; arrivals in the ten days either side are
# thinned (two in three move three weeks later), as the registries show: people go home, then come back.
SPRING_FESTIVALS = ("2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06")
NEIGHBOURS = ("50", "53", "52", "62", "61", "54", "63", "42", "43", "41", "44", "33")
# Industries by weight (GB/T 4754 sections): manufacturing, construction, trade, catering and services lead.
INDUSTRIES = "CCCCCEEEEFFFFHHHLLOIGGAKMNPQRS"
REASONS = ("work",) * 11 + ("business",) * 3 + ("study", "family", "family", "marriage", "medical", "travel", "other")
HOUSE_KINDS = ("rental", "rental", "rental", "dormitory", "owned", "shop", "worksite", "other")

SCRATCH = """
CREATE TEMP TABLE bench_in_community (idx integer PRIMARY KEY, code varchar(12));
CREATE TEMP TABLE bench_in_slot (slot integer PRIMARY KEY, idx integer);
CREATE TEMP TABLE bench_in_hukou (slot integer PRIMARY KEY, code varchar(6));
CREATE TEMP TABLE bench_in_reason (slot integer PRIMARY KEY, reason varchar(12));
"""
# A community's weight in the slots: the capital's communities 4, other urban districts' (county code 01-19) 2.
PG_SLOTS = """
INSERT INTO bench_in_slot (slot, idx)
SELECT (row_number() OVER (ORDER BY c.idx, w)) - 1, c.idx
FROM bench_in_community c
CROSS JOIN LATERAL generate_series(1, CASE WHEN c.code LIKE %(capital)s THEN 4
    WHEN substr(c.code, 5, 2) < '20' THEN 2 ELSE 1 END) AS w
"""
PG_EMPLOYERS = """
INSERT INTO registry_employer (id, name, credit_code, industry, address, created_at, community_id, staff_size)
SELECT %(base)s + 2 * c.idx + j, '基准企业' || c.idx || '-' || j, NULL,
    substr(%(industries)s, 1 + (c.idx * 7 + j * 13) %% length(%(industries)s), 1), '', %(now)s, c.code, 20
FROM bench_in_community c CROSS JOIN generate_series(0, 1) AS j
"""
PG_HOUSES = """
INSERT INTO registry_house (id, address, kind, is_rented, owner_name, created_at, community_id, rooms)
SELECT %(base)s + 3 * c.idx + j, '基准房屋' || c.idx || '-' || j, k.kind, k.kind IN ('rental', 'shop'), '', %(now)s,
    c.code, 2
FROM bench_in_community c CROSS JOIN generate_series(0, 2) AS j
JOIN (SELECT (row_number() OVER ()) - 1 AS n, kind FROM unnest(%(kinds)s::text[]) AS kind) AS k
    ON k.n = (c.idx * 3 + j * 5) %% %(nkinds)s
"""
# Two rented houses in three have an active filing; one in twelve an ended one.
PG_FILINGS = """
INSERT INTO compliance_tenancyfiling (number, landlord_name, rooms, monthly_rent, starts_on, ends_on, status,
    ended_on, end_reason, channel, filed_at, community_id, house_id)
SELECT 'BENCHIN-' || h.id, '基准房东', '', NULL, %(today)s::date - 200, %(today)s::date + 165,
    CASE WHEN h.id %% 12 = 0 THEN 'ended' ELSE 'active' END, CASE WHEN h.id %% 12 = 0 THEN %(today)s::date - 10 END,
    '', 'station', %(now)s, h.community_id, h.id
FROM registry_house h
WHERE h.id > %(base)s AND h.is_rented AND (h.id %% 3 <> 0 OR h.id %% 12 = 0)
"""
# People: sex about 53 % men; birth dates mostly of working age, one in ten a child; hukou from the slots.
PG_PEOPLE = """
INSERT INTO registry_person (id, doc_type, doc_number, name, name_pinyin, name_initials, sex, birth_date, ethnicity,
    nationality, hukou_code, hukou_address, phone, education, marital_status, party_member, created_at, updated_at,
    source_channel, doc_number_index, phone_index)
SELECT %(base)s + i, 'passport', %(mark)s || i, '基准', 'jizhun', 'jz',
    CASE WHEN i %% 100 < 53 THEN 'M' ELSE 'F' END,
    CASE WHEN i %% 10 = 0 THEN %(today)s::date - 200 - ((i * 7717::bigint) %% (17 * 365))::int
         ELSE %(today)s::date - 18 * 365 - ((i * 7717::bigint) %% (47 * 365))::int END,
    '01', CASE WHEN i %% 997 = 0 THEN 'VNM' ELSE 'CHN' END,
    CASE WHEN i %% 997 = 0 THEN '' ELSE h.code END, '', '', '', '', false, %(now)s, %(now)s, 'collector',
    'bench:' || %(mark)s || i, ''
FROM generate_series(1, %(people)s) AS i
JOIN bench_in_hukou h ON h.slot = (i * 2654435761::bigint) %% %(hukou_slots)s
"""
# Stays: the last `people` of them are each person's one open stay; the earlier ones have departed. The arrival
# day is spread over five years, two in three of those near a Spring Festival move three weeks later.
PG_STAYS = """
INSERT INTO registry_stay (person_id, community_id, house_id, employer_id, address, reason, arrived_on, registered_at,
    departed_on, destination, source_channel, lag_days, late, verified_on, source_ref)
SELECT %(person_base)s + 1 + (s.i - 1) %% %(people)s, c.code, %(house_base)s + 3 * c.idx + s.i %% 3,
    CASE WHEN r.reason IN ('work', 'business') THEN %(employer_base)s + 2 * c.idx + s.i %% 2 END,
    '', r.reason, s.arrived, ((s.arrived + s.lag) + time '10:00') AT TIME ZONE 'Asia/Shanghai',
    CASE WHEN s.i <= %(n)s - %(people)s
        THEN LEAST(%(today)s::date, s.arrived + 20 + ((s.i * 31::bigint) %% 700)::int) END,
    '', 'collector', s.lag, s.lag > 30,
    CASE WHEN s.i %% 3 = 0 THEN LEAST(%(today)s::date, s.arrived + s.lag + (s.i %% 300)) END,
    %(mark)s || ':' || s.i
FROM (
    SELECT d.i, d.lag,
        CASE WHEN d.i %% 3 <> 0 AND EXISTS (
                SELECT 1 FROM unnest(%(festivals)s::date[]) AS f WHERE d.day BETWEEN f - 10 AND f + 10)
            THEN LEAST(%(today)s::date - d.lag, d.day + 21) ELSE d.day END AS arrived
    FROM (
        SELECT g.i, lag.lag, %(today)s::date - lag.lag - ((g.i * 7919::bigint) %% (5 * 365))::int AS day
        FROM generate_series(1, %(n)s) AS g(i)
        CROSS JOIN LATERAL (SELECT CASE WHEN g.i %% 10 < 6 THEN g.i %% 8 WHEN g.i %% 10 < 9 THEN g.i %% 45
            ELSE g.i %% 400 END AS lag) AS lag
    ) AS d
) AS s
JOIN bench_in_slot sl ON sl.slot = (s.i * 1103515245::bigint + 12345) %% %(slots)s
JOIN bench_in_community c ON c.idx = sl.idx
JOIN bench_in_reason r ON r.slot = (s.i * 40503::bigint) %% %(reasons)s
"""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def _citizen_id(body: str) -> str:
    return body + mod11_2_check(body)


def _hukou_slots(province: str) -> list[str]:
    """County codes of the national list, weighted: the province's 6, its neighbours' 2, the rest 1."""
    slots = []
    for code in sorted(national_names()):
        if len(code) != 6 or code.endswith("00"):
            continue
        weight = 6 if code.startswith(province) else 2 if code[:2] in NEIGHBOURS else 1
        slots.extend([code] * weight)
    return slots


class Command(BaseCommand):
    help = "Benchmark every dashboard panel from the cells against the direct query over N stays (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--stays", type=int, default=10_000_000)
        parser.add_argument("--repeat", type=int, default=5, help="warm calls per panel from the cells")
        parser.add_argument("--live-repeat", type=int, default=1, help="warm calls per panel of the direct query")
        parser.add_argument("--registrations", type=int, default=5, help="stays registered to time the refresh")
        parser.add_argument("--keep", action="store_true", help="keep the synthetic rows (drop the database instead)")

    def handle(self, *args, stays: int, repeat: int, live_repeat: int, registrations: int, keep: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_insight runs on PostgreSQL only (set DATABASE_URL to a scratch database)")
        province = settings.LIUGUAN_PROVINCE_CODE
        communities = Division.community_codes(province)
        if not communities:
            raise CommandError(f"no communities under {province}; run load_divisions first")
        # Synthetic people keep plain numbers with a marker index ("bench:..."): HMAC-ing millions in SQL is not
        # possible, and they are looked up only here.
        if Person.objects.filter(doc_type="passport", doc_number_index=f"bench:{MARK}1").exists():
            raise CommandError("synthetic rows of an earlier run are here (--keep); use a fresh scratch database")
        out = self.stdout
        out.write(f"database: PostgreSQL; {len(communities):,} communities under {province}; {stays:,} stays")
        started = time.monotonic()
        people = self._build(stays, communities, province)
        out.write(f"built {stays:,} stays of {people:,} synthetic people in {time.monotonic() - started:.1f} s")
        out.write(self._sizes())
        try:
            self._measure(province, repeat, live_repeat, registrations)
        finally:
            if not keep:
                self._clean_up()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            out.write(f"peak resident memory of this process: {peak:,.0f} MB")

    # --- The synthetic province ---------------------------------------------------------------------------------
    def _build(self, n: int, communities: list[str], province: str) -> int:
        out = self.stdout
        today = china_today()
        now = dt.datetime.now(dt.UTC)
        people = max(int(n * 0.6), 1)
        hukou = _hukou_slots(province)
        reasons = list(REASONS)

        def base(table: str) -> int:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # noqa: S608 (constant table names)
                return cursor.fetchone()[0] + 1000

        with transaction.atomic(), connection.cursor() as cursor:
            # A bulk load as a DBA makes one: the rows are valid by construction, so no foreign-key triggers, and
            # the secondary indexes are dropped and built again once the rows are in.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            indexes = self._secondary_indexes(cursor, ("registry_person", "registry_stay"))
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(SCRATCH)
            cursor.executemany("INSERT INTO bench_in_community VALUES (%s, %s)", list(enumerate(communities)))
            cursor.executemany("INSERT INTO bench_in_hukou VALUES (%s, %s)", list(enumerate(hukou)))
            cursor.executemany("INSERT INTO bench_in_reason VALUES (%s, %s)", list(enumerate(reasons)))
            cursor.execute(PG_SLOTS, {"capital": f"{province}01%"})
            cursor.execute("SELECT count(*) FROM bench_in_slot")
            slots = cursor.fetchone()[0]
            bases = {t: base(t) for t in ("registry_employer", "registry_house", "registry_person")}
            common = {"now": now, "today": today, "mark": MARK}
            step = time.monotonic()
            cursor.execute(PG_EMPLOYERS, {**common, "base": bases["registry_employer"], "industries": INDUSTRIES})
            cursor.execute(
                PG_HOUSES,
                {**common, "base": bases["registry_house"], "kinds": list(HOUSE_KINDS), "nkinds": len(HOUSE_KINDS)},
            )
            cursor.execute(PG_FILINGS, {**common, "base": bases["registry_house"]})
            out.write(f"  employers, houses and tenancy filings: {time.monotonic() - step:.1f} s")
            step = time.monotonic()
            cursor.execute(
                PG_PEOPLE, {**common, "base": bases["registry_person"], "people": people, "hukou_slots": len(hukou)}
            )
            out.write(f"  {people:,} people: {time.monotonic() - step:.1f} s")
            step = time.monotonic()
            cursor.execute(
                PG_STAYS,
                {
                    **common,
                    "n": n,
                    "people": people,
                    "person_base": bases["registry_person"],
                    "house_base": bases["registry_house"],
                    "employer_base": bases["registry_employer"],
                    "slots": slots,
                    "reasons": len(reasons),
                    "festivals": list(SPRING_FESTIVALS),
                },
            )
            out.write(f"  {n:,} stays: {time.monotonic() - step:.1f} s")
            for table in ("registry_person", "registry_stay", "registry_employer", "registry_house"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
            cursor.execute("DROP TABLE bench_in_community, bench_in_slot, bench_in_hukou, bench_in_reason")
            step = time.monotonic()
            for _name, definition in indexes:
                cursor.execute(definition)
            out.write(f"  {len(indexes)} indexes built again: {time.monotonic() - step:.1f} s")
        with connection.cursor() as cursor:
            step = time.monotonic()
            cursor.execute("VACUUM (ANALYZE) registry_stay")
            cursor.execute("VACUUM (ANALYZE) registry_person")
            cursor.execute("ANALYZE")
            out.write(f"  vacuum and analyze: {time.monotonic() - step:.1f} s")
        if Stay.objects.filter(source_ref__startswith=f"{MARK}:").count() != n:
            raise CommandError("the synthetic stays were not all written")
        return people

    @staticmethod
    def _secondary_indexes(cursor, tables: tuple[str, ...]) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the tables' indexes that back no constraint (partial unique ones included)."""
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(tables)],
        )
        return list(cursor.fetchall())

    def _sizes(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('registry_stay')), "
                "pg_size_pretty(pg_total_relation_size('registry_person')), "
                "pg_size_pretty(pg_database_size(current_database()))"
            )
            stay, person, total = cursor.fetchone()
        return f"sizes with indexes: stays {stay}, people {person}, whole database {total}"

    # --- Timing -----------------------------------------------------------------------------------------------------
    @staticmethod
    def _timed(fn, repeat: int) -> tuple[float, float]:
        """(the first call on a new connection, the median of the next `repeat` calls, or the first if none)."""
        connection.close()
        started = time.perf_counter()
        fn()
        first = time.perf_counter() - started
        if repeat < 1:
            return first, first
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return first, statistics.median(times)

    @staticmethod
    def _areas(province: str) -> list[tuple[str, str]]:
        """The province and, level by level, its child with the most open stays (the heaviest drill-down path)."""
        areas = [("province", province)]
        code = province
        for label in ("prefecture", "county", "township", "community"):
            child = (
                Cell.objects.filter(parent=code, measure="stock", k1="", k2="")
                .order_by("-n", "area")
                .values_list("area", flat=True)
                .first()
            )
            if child is None:
                break
            areas.append((label, child))
            code = child
        return areas

    def _measure(self, province: str, repeat: int, live_repeat: int, registrations: int) -> None:
        out = self.stdout
        result = rollup_rebuild()
        out.write(f"full rebuild of the cells: {result['seconds']:.1f} s ({result['cells']:,} cells)")
        today = china_today()
        over = []
        out.write(
            f"{'level':<11}{'area':<13}{'panel':<16}{'cells cold':>11}{'cells warm':>11}{'live 1st':>11}"
            f"{'live warm':>11}{'live/cells':>11}"
        )
        for label, area in self._areas(province):
            cells_total = live_total = 0.0
            for name in PANELS:
                cold, warm = self._timed(lambda n=name, a=area: build_panel(n, a, source="cells", today=today), repeat)
                live_first, live_warm = self._timed(
                    lambda n=name, a=area: build_panel(n, a, source="live", today=today), live_repeat
                )
                cells_total += warm
                live_total += live_warm
                if warm * 1000 >= GOAL_MS:
                    over.append(f"{name} at {label} {area}: {_ms(warm)}")
                out.write(
                    f"{label:<11}{area:<13}{name:<16}{_ms(cold):>11}{_ms(warm):>11}{_ms(live_first):>11}"
                    f"{_ms(live_warm):>11}{live_warm / warm:>10.0f}x"
                )
            out.write(
                f"{label:<11}{area:<13}{'(all panels)':<16}{'':>11}{_ms(cells_total):>11}{'':>11}"
                f"{_ms(live_total):>11}{live_total / cells_total:>10.0f}x"
            )
        out.write(
            f"every panel under {GOAL_MS} ms warm from the cells: " + ("yes" if not over else "NO: " + "; ".join(over))
        )
        self._freshness(province, registrations)

    def _freshness(self, province: str, registrations: int) -> None:
        """A stay registered through the service, then `rollup_refresh`, until the community's stock cell counts it."""
        out = self.stdout
        rollup_refresh()  # anything written since the rebuild (the accounts below write audit events too)
        collector = self._collector(province)
        community = (
            Division.objects.filter(level=Level.COMMUNITY, code__startswith=collector.division_id)
            .order_by("code")
            .values_list("code", flat=True)
            .first()
        )
        rollup_refresh()
        lags, refreshes = [], []
        for i in range(registrations):
            before = self._stock(community)
            started = time.perf_counter()
            self._register(collector, community, i)
            refresh_started = time.perf_counter()
            result = rollup_refresh()
            refreshes.append(time.perf_counter() - refresh_started)
            lags.append(time.perf_counter() - started)
            if self._stock(community) != before + 1:
                raise CommandError(f"the cells did not count the new stay in {community} ({result})")
        out.write(
            f"new stay through the service to the cells (register + rollup_refresh), {registrations} times: "
            f"median {_ms(statistics.median(lags))}, max {_ms(max(lags))}; the refresh alone median "
            f"{_ms(statistics.median(refreshes))}"
        )
        started = time.perf_counter()
        unchanged = rollup_refresh()
        out.write(f"refresh with nothing new: {_ms(time.perf_counter() - started)} ({unchanged['mode']})")
        out.write(
            "(the scheduler runs insight_refresh every minute, so a new stay shows within about a minute "
            "plus the refresh time)"
        )

    @staticmethod
    def _stock(community: str) -> int:
        return sum(Cell.objects.filter(area=community, measure="stock").values_list("n", flat=True))

    def _collector(self, province: str) -> User:
        township = (
            Division.objects.filter(level=Level.TOWNSHIP, code__startswith=province)
            .order_by("code")
            .values_list("code", flat=True)
            .first()
        )
        point, _ = Office.objects.get_or_create(
            kind=OfficeKind.COLLECTION_POINT, name="基准采集点", division_id=township
        )
        collector, _ = User.objects.get_or_create(
            username=f"{PREFIX}{township}",
            defaults={
                "role": Role.COLLECTOR,
                "division_id": township,
                "office_id": point.pk,
                "full_name": "基准采集员",
                "password": "!",  # noqa: S106 (an unusable password: nobody logs in as this account)
            },
        )
        return collector

    def _register(self, collector, community: str, i: int) -> None:
        confirmed: list[int] = []
        for _attempt in range(8):
            suffix = uuid.uuid4().int % 900 + 100
            try:
                person_register(
                    actor=collector,
                    person=PersonInput(
                        doc_type="citizen_id",
                        doc_number=_citizen_id(f"51132119{70 + i % 30}0{1 + i % 9}1{i % 10}{suffix:03d}"),
                        name=f"基准登记{i}",
                    ),
                    stay=StayInput(
                        community_code=community, arrived_on=china_today() - dt.timedelta(days=i % 20), reason="work"
                    ),
                    not_duplicate_of=confirmed,
                )
                return
            except LikelyDuplicate as exc:
                confirmed += [c.person.pk for c in exc.candidates]
            except Conflict:
                continue  # the same number drawn twice across runs: draw another
        raise CommandError("could not register a person through the service")

    def _clean_up(self) -> None:
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM registry_stay WHERE source_ref LIKE %s", [f"{MARK}:%"])
            cursor.execute("DELETE FROM compliance_tenancyfiling WHERE number LIKE %s", [f"{MARK}-%"])
            cursor.execute("DELETE FROM registry_house WHERE address LIKE %s", ["基准房屋%"])
            cursor.execute("DELETE FROM registry_employer WHERE name LIKE %s", ["基准企业%"])
            cursor.execute(
                "DELETE FROM registry_person WHERE doc_type = 'passport' AND doc_number LIKE %s", [f"{MARK}%"]
            )
        rollup_rebuild()
        self.stdout.write(f"removed the synthetic rows and rebuilt the cells in {time.monotonic() - started:.1f} s")
