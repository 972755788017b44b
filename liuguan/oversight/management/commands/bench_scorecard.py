"""python manage.py bench_scorecard --stays 1000000: the province scorecard against a plain count, same run.

Builds N synthetic stays over the province's communities in bulk (generate_series on PostgreSQL, a recursive
CTE on SQLite; no audit events, as a bulk load has none), rebuilds the cells, then times: a plain
`SELECT count(*)` over the stays; the province scorecard at city and at county level, cold (new connection,
first call) and warm; and, after registering a few stays through the service, the incremental refresh and
the scorecard that follows it. Use a database of its own (DATABASE_URL): the bulk rows are removed at the
end unless --keep, the benchmark's accounts and offices stay for the next run.
"""

import datetime as dt
import math
import statistics
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.errors import Conflict
from liuguan.core.identity import china_today, mod11_2_check
from liuguan.geo.models import Division, Level, Office, OfficeKind
from liuguan.oversight.cells import cells_rebuild, cells_refresh
from liuguan.oversight.models import OpenStayCell, RegistrationCell
from liuguan.oversight.selectors_scorecard import Period, scorecard
from liuguan.oversight.selectors_scorecard_table import scorecard_table
from liuguan.registry.models import Person, Stay
from liuguan.registry.services import LikelyDuplicate, PersonInput, StayInput, person_register

# The synthetic rows' mark and the scratch table, written out in the SQL below.
MARK = "BENCHSC"
SCRATCH = "bench_sc_community"
PREFIX = "benchsc-"
PEOPLE = 50_000

# One row per stay i: registered up to three years ago, at community i mod n; a lag that is mostly short,
# sometimes long; one in five departed, one in three verified since; one in ten with no collector.
PG_STAYS = """
INSERT INTO registry_stay (person_id, community_id, address, reason, arrived_on, registered_at, departed_on,
    destination, source_channel, collector_id, collection_point_id, lag_days, late, verified_on, source_ref)
SELECT %(base)s + 1 + s.i %% %(people)s, c.code, '', 'work', s.day - s.lag, s.reg,
    CASE WHEN s.i %% 5 = 0 THEN LEAST(s.today, s.day + (s.i %% 200)) END,
    '', s.channel,
    CASE WHEN s.channel IN ('collector', 'import') THEN c.collector_id END,
    CASE WHEN s.channel = 'collector' THEN c.point_id END,
    s.lag, s.lag > CASE WHEN c.code LIKE '5101%%' THEN 7 ELSE 30 END,
    CASE WHEN s.i %% 3 = 0 THEN LEAST(s.today, s.day + (s.i %% 300)) END,
    'BENCHSC:' || s.i
FROM (
    SELECT g.i, g.reg, (g.reg AT TIME ZONE 'Asia/Shanghai')::date AS day,
        (%(now)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date AS today,
        CASE WHEN g.i %% 10 < 6 THEN g.i %% 8 WHEN g.i %% 10 < 9 THEN g.i %% 45 ELSE g.i %% 400 END AS lag,
        CASE g.i %% 20 WHEN 0 THEN 'self' WHEN 1 THEN 'landlord' WHEN 2 THEN 'import' ELSE 'collector' END AS channel
    FROM (SELECT i, %(now)s::timestamptz - make_interval(secs => (i::bigint * 7919) %% (1095 * 86400)) AS reg
          FROM generate_series(1, %(n)s) AS i) AS g
) AS s
JOIN bench_sc_community c ON c.idx = s.i %% %(communities)s
"""
PG_PEOPLE = """
INSERT INTO registry_person (id, doc_type, doc_number, name, name_pinyin, name_initials, sex, birth_date, ethnicity,
    nationality, hukou_code, hukou_address, phone, education, marital_status, party_member, created_at, updated_at,
    source_channel, doc_number_index, phone_index)
SELECT %(base)s + i, 'passport', 'BENCHSC' || i, '基准', 'jizhun', 'jz', CASE WHEN i %% 2 = 0 THEN 'M' ELSE 'F' END,
    DATE '1960-01-01' + (i %% 16000), '01', 'CHN', '', '', '', '', '', false, %(now)s, %(now)s, 'collector',
    'bench:BENCHSC' || i, ''
FROM generate_series(1, %(people)s) AS i
"""
SQLITE_SERIES = "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < %(n)s) "
SQLITE_PEOPLE = (
    SQLITE_SERIES
    + """
INSERT INTO registry_person (id, doc_type, doc_number, name, name_pinyin, name_initials, sex, birth_date, ethnicity,
    nationality, hukou_code, hukou_address, phone, education, marital_status, party_member, created_at, updated_at,
    source_channel, doc_number_index, phone_index)
SELECT %(base)s + i, 'passport', 'BENCHSC' || i, '基准', 'jizhun', 'jz', CASE WHEN i %% 2 = 0 THEN 'M' ELSE 'F' END,
    date('1960-01-01', '+' || (i %% 16000) || ' days'), '01', 'CHN', '', '', '', '', '', 0, %(now)s, %(now)s,
    'collector', 'bench:BENCHSC' || i, ''
FROM g
"""
)
SQLITE_STAYS = (
    SQLITE_SERIES  # noqa: S608 (constants only; the values are parameters)
    + """
, s AS (
    SELECT i, reg, date(reg, '+8 hours') AS day,
        CASE WHEN i %% 10 < 6 THEN i %% 8 WHEN i %% 10 < 9 THEN i %% 45 ELSE i %% 400 END AS lag,
        CASE i %% 20 WHEN 0 THEN 'self' WHEN 1 THEN 'landlord' WHEN 2 THEN 'import' ELSE 'collector' END AS channel
    FROM (SELECT i, datetime(%(now)s, '-' || ((i * 7919) %% (1095 * 86400)) || ' seconds') AS reg FROM g)
)
INSERT INTO registry_stay (person_id, community_id, address, reason, arrived_on, registered_at, departed_on,
    destination, source_channel, collector_id, collection_point_id, lag_days, late, verified_on, source_ref)
SELECT %(base)s + 1 + s.i %% %(people)s, c.code, '', 'work', date(s.day, '-' || s.lag || ' days'), s.reg,
    CASE WHEN s.i %% 5 = 0 THEN min(date(%(now)s, '+8 hours'), date(s.day, '+' || (s.i %% 200) || ' days')) END,
    '', s.channel,
    CASE WHEN s.channel IN ('collector', 'import') THEN c.collector_id END,
    CASE WHEN s.channel = 'collector' THEN c.point_id END,
    s.lag, s.lag > CASE WHEN c.code LIKE '5101%%' THEN 7 ELSE 30 END,
    CASE WHEN s.i %% 3 = 0 THEN min(date(%(now)s, '+8 hours'), date(s.day, '+' || (s.i %% 300) || ' days')) END,
    'BENCHSC:' || s.i
FROM s JOIN bench_sc_community c ON c.idx = s.i %% %(communities)s
"""
)


def _citizen_id(body: str) -> str:
    return body + mod11_2_check(body)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


class Command(BaseCommand):
    help = "Benchmark the province scorecard on N stays against a plain count (PostgreSQL; smaller on SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("--stays", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=5, help="warm runs per measurement")
        parser.add_argument("--keep", action="store_true", help="keep the synthetic people and stays")

    def handle(self, *args, stays: int, repeat: int, keep: bool, **options):
        province = settings.LIUGUAN_PROVINCE_CODE
        communities = Division.community_codes(province)
        if not communities:
            raise CommandError(f"no communities under {province}; run load_divisions first")
        # Synthetic people keep plain numbers with a marker index ("bench:..."), looked up only here.
        if Person.objects.filter(doc_type="passport", doc_number_index=f"bench:{MARK}1").exists():
            raise CommandError("synthetic stays of an earlier run are here (--keep); use a scratch database")
        out = self.stdout
        out.write(f"database: {connection.vendor}; {len(communities):,} communities under {province}")
        officer, collectors = self._accounts(province)
        started = time.monotonic()
        people = self._build(stays, communities, collectors)
        out.write(f"built {stays:,} stays of {people:,} synthetic people in {time.monotonic() - started:.1f} s")
        try:
            self._measure(officer, collectors, stays, repeat)
        finally:
            if not keep:
                self._clean_up()

    def _accounts(self, province: str):
        """A province officer to read the scorecard; a collector and a collection point per township."""
        officer, _ = User.objects.get_or_create(
            username=f"{PREFIX}province",
            defaults={"role": Role.PROVINCE_ADMIN, "division_id": province, "full_name": "bench_scorecard"},
        )
        townships = list(
            Division.objects.filter(level=Level.TOWNSHIP, code__startswith=province).values_list("code", flat=True)
        )
        have = set(
            Office.objects.filter(kind=OfficeKind.COLLECTION_POINT, name="基准采集点").values_list(
                "division_id", flat=True
            )
        )
        Office.objects.bulk_create(
            [
                Office(kind=OfficeKind.COLLECTION_POINT, name="基准采集点", division_id=code)
                for code in townships
                if code not in have
            ],
            batch_size=2000,
        )
        points = dict(
            Office.objects.filter(kind=OfficeKind.COLLECTION_POINT, name="基准采集点").values_list("division_id", "pk")
        )
        existing = set(User.objects.filter(username__startswith=PREFIX).values_list("username", flat=True))
        User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}{code}",
                    role=Role.COLLECTOR,
                    division_id=code,
                    office_id=points[code],
                    full_name=f"基准采集员{code[-3:]}",
                    password="!",  # noqa: S106 (an unusable password: nobody logs in as these)
                )
                for code in townships
                if f"{PREFIX}{code}" not in existing
            ],
            batch_size=2000,
        )
        collectors = {u.division_id: u for u in User.objects.filter(username__startswith=PREFIX, role=Role.COLLECTOR)}
        return officer, collectors

    def _build(self, n: int, communities: list[str], collectors: dict) -> int:
        vendor = connection.vendor
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
            cursor.execute(
                f"CREATE TEMP TABLE {SCRATCH} (idx integer PRIMARY KEY, code varchar(12), "
                "collector_id bigint, point_id bigint)"
            )
            rows = []
            for idx, code in enumerate(communities):
                collector = collectors.get(code[:9])
                rows.append(
                    (idx, code, collector.pk if collector else None, collector.office_id if collector else None)
                )
            cursor.executemany(f"INSERT INTO {SCRATCH} VALUES (%s, %s, %s, %s)", rows)  # noqa: S608 (constant)
            base = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
            # A pool of people, each with stays in many communities: (i mod people, i mod communities) never
            # repeats below their least common multiple, far above a million, so no one has two open stays in one
            # place; a small pool is quick to write and to delete.
            people = min(n, PEOPLE)
            while math.lcm(people, len(communities)) < n:
                people += 1
            params = {"base": base, "n": n, "people": people, "now": now, "communities": len(communities)}
            if vendor == "postgresql":
                cursor.execute(PG_PEOPLE, params)
                cursor.execute(PG_STAYS, params)
                for table in ("registry_person", "registry_stay"):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                    )
            else:
                params["now"] = now.strftime("%Y-%m-%d %H:%M:%S")
                cursor.execute(SQLITE_PEOPLE, {**params, "n": people})
                cursor.execute(SQLITE_STAYS, params)
            cursor.execute(f"DROP TABLE {SCRATCH}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE registry_stay" if vendor == "postgresql" else "ANALYZE")
        if Stay.objects.filter(source_ref__startswith=f"{MARK}:").count() != n:
            raise CommandError("the synthetic stays were not all written")
        return people

    def _timed(self, fn, repeat: int) -> tuple[float, float, object]:
        """(first call, median of the next `repeat` calls, last result)."""
        started = time.perf_counter()
        result = fn()
        first = time.perf_counter() - started
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
        return first, statistics.median(times), result

    def _count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM registry_stay")
            return cursor.fetchone()[0]

    def _measure(self, officer, collectors: dict, n: int, repeat: int) -> None:
        out = self.stdout
        result = cells_rebuild()
        out.write(
            f"full rebuild of the cells: {result['seconds']:.1f} s "
            f"({RegistrationCell.objects.count():,} registration cells, "
            f"{OpenStayCell.objects.count():,} open-stay cells)"
        )
        connection.close()
        count_cold, count_warm, total = self._timed(self._count, repeat)
        out.write(f"plain SELECT count(*) over {total:,} stays: cold {_ms(count_cold)}, warm {_ms(count_warm)}")
        period = Period.parse(None)
        year = Period.parse(str(period.start.year))
        figures = {}
        # "timeliness": this part's measures alone; "full": what the page shows (with spot checks, feedback tasks
        # and the omission estimates).
        for label, level, chosen, others in (
            ("city, timeliness and staleness", "city", period, False),
            ("city, full", "city", period, True),
            ("county, full", "county", period, True),
            ("city, full, this year", "city", year, True),
        ):

            def run(level=level, chosen=chosen, others=others):
                card = scorecard(user=officer, level=level, period=chosen, others=others)
                scorecard_table(card)
                return card

            connection.close()
            cold, warm, card = self._timed(run, repeat)
            figures[label] = warm
            out.write(
                f"province scorecard, {label} ({len(card.rows)} rows, {chosen.code}): "
                f"cold {_ms(cold)}, warm {_ms(warm)}; warm / plain count = {warm / count_warm:.2f}"
            )
        page = self._page_time(officer, repeat)
        if page is not None:
            out.write(f"the whole page (view and template) at city level: warm {_ms(page)}")

        # A few registrations through the service, then what the page does: refresh, then read.
        writers = list(collectors.values())[:5]
        for i, collector in enumerate(writers):
            self._register(collector, i)
        started = time.perf_counter()
        refreshed = cells_refresh()
        refresh_seconds = time.perf_counter() - started
        started = time.perf_counter()
        scorecard_table(scorecard(user=officer, level="city", period=period, refresh=False))
        after = time.perf_counter() - started
        out.write(
            f"incremental refresh after {len(writers)} registrations through the service: {_ms(refresh_seconds)} "
            f"({refreshed['prefixes']} areas recomputed); then the city-level scorecard {_ms(after)}; "
            f"together {_ms(refresh_seconds + after)} (goal: under 1,000 ms)"
        )
        started = time.perf_counter()
        unchanged = cells_refresh()
        out.write(f"refresh with nothing new: {_ms(time.perf_counter() - started)} ({unchanged['mode']})")
        out.write(
            f"ratio province scorecard (city level, full, warm) / plain count: "
            f"{figures['city, full'] / count_warm:.2f}; "
            f"stays in the table: {self._count():,} ({n:,} synthetic)"
        )

    def _register(self, collector, i: int) -> None:
        """One registration through the service, as a collector makes it (confirming a look-alike is someone else)."""
        community = Division.objects.filter(level=Level.COMMUNITY, code__startswith=collector.division_id).first()
        confirmed: list[int] = []
        for _attempt in range(5):
            suffix = uuid.uuid4().int % 900 + 100
            try:
                person_register(
                    actor=collector,
                    person=PersonInput(
                        doc_type="citizen_id",
                        doc_number=_citizen_id(f"51132119{70 + i}0{1 + i}1{i}{suffix:03d}"),
                        name=f"基准登记{i}",
                    ),
                    stay=StayInput(
                        community_code=community.code, arrived_on=china_today() - dt.timedelta(days=i), reason="work"
                    ),
                    not_duplicate_of=confirmed,
                )
                return
            except LikelyDuplicate as exc:
                confirmed += [c.person.pk for c in exc.candidates]
            except Conflict:
                continue  # the same number drawn twice across runs: draw another
        raise CommandError("could not register a person through the service")

    def _page_time(self, officer, repeat: int) -> float | None:
        from liuguan.oversight.views_scorecard import scorecard_page

        request = RequestFactory().get("/oversight/scorecard/", {"level": "city"})
        request.user = officer
        request.session = {}
        try:
            scorecard_page(request)
        except Exception as exc:  # noqa: BLE001 (the page's own tests cover it; here it is only timed)
            self.stderr.write(f"page not timed: {exc}")
            return None
        return self._timed(lambda: scorecard_page(request), repeat)[1]

    def _clean_up(self) -> None:
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM registry_stay WHERE source_ref LIKE %s", [f"{MARK}:%"])
            cursor.execute(
                "DELETE FROM registry_person WHERE doc_type = 'passport' AND doc_number LIKE %s", [f"{MARK}%"]
            )
        cells_rebuild()
        self.stdout.write(
            f"cleaned up the synthetic people and stays in {time.monotonic() - started:.1f} s and rebuilt the cells "
            f"(the benchmark's accounts, offices and its few service registrations stay, as does the audit chain)"
        )
