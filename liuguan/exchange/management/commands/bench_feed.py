"""How fast the change feed serves a dataset's changes: events per second through the API (pages of 500, a
subsystem's key, grant checks, bulk loads and the access log), beside a raw SELECT of the same audit rows in the
same run, and their ratio.

The changes are written in bulk into a scratch area (division 99, which no real province uses): people with stays
there and one `person.update` event per change, chained exactly as `audit_record` chains them. Everything runs in
one transaction that is rolled back at the end, so the scratch records and events leave nothing behind and the
audit chain is as it was; other writers wait for the chain's head meanwhile, so run it on a quiet database.
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from liuguan.accounts.models import ApiToken, User
from liuguan.accounts.roles import Role
from liuguan.core.audit import event_content, event_digest
from liuguan.core.models import AuditChainHead, AuditEvent
from liuguan.geo.models import Division, Level
from liuguan.registry.models import Person, Stay

from ...models import Department, Grant, Subsystem

SCRATCH = [
    ("99", Level.PROVINCE),
    ("9901", Level.PREFECTURE),
    ("990101", Level.COUNTY),
    ("990101001", Level.TOWNSHIP),
    ("990101001001", Level.COMMUNITY),
]
PAGE = 500


class Rollback(Exception):
    """Raised at the end of the run so that its transaction leaves nothing behind."""


class Command(BaseCommand):
    help = "Measure the change feed's throughput (events/s over the API) beside a raw SELECT of the same events."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=20000)
        parser.add_argument("--people", type=int, default=2000, help="people the changes are spread over")

    def handle(self, *args, **options):
        events, people = options["events"], max(1, min(options["people"], options["events"]))
        if not 1 <= events <= 1_000_000:
            raise CommandError("--events must be between 1 and 1,000,000")
        if Division.objects.filter(code="99").exists():
            raise CommandError("division 99 exists already; the bench needs it as its scratch area")
        result = {}
        try:
            with transaction.atomic():
                start = self._write(events, people)
                key = self._subsystem()
                result["raw"] = self._raw(start, events)
                result["feed"] = self._feed(key, start, events)
                raise Rollback
        except Rollback:
            pass
        raw_rate, feed_rate = events / result["raw"], events / result["feed"]
        self.stdout.write(f"database: {connection.vendor}; {events} changes over {people} people, pages of {PAGE}")
        self.stdout.write(f"raw SELECT of the audit rows: {result['raw']:.3f} s, {raw_rate:,.0f} events/s")
        self.stdout.write(f"change feed over the API:     {result['feed']:.3f} s, {feed_rate:,.0f} events/s")
        self.stdout.write(
            f"feed / raw: {feed_rate / raw_rate:.3f} (the feed takes {result['feed'] / result['raw']:.1f}x)"
        )
        self.stdout.write("scratch records and events rolled back; the audit chain is unchanged")

    def _write(self, events: int, people: int) -> int:
        parent = None
        for code, level in SCRATCH:
            parent = Division.objects.create(code=code, name=f"bench {code}", level=level, parent=parent)
        made = Person.objects.bulk_create(
            Person(
                doc_type="passport",
                doc_number=f"BENCH{i:09d}",
                name=f"测试{i}",
                name_pinyin=f"ceshi{i}",
                name_initials="cs",
                sex="M",
                birth_date=dt.date(1990, 1, 1),
                phone="13800000000",
            )
            for i in range(people)
        )
        if not all(p.pk for p in made):  # backends without RETURNING on bulk insert
            numbers = [f"BENCH{i:09d}" for i in range(people)]  # encrypted: found by the blind index, not a prefix
            made = list(Person.objects.filter(doc_number__in=numbers).order_by("pk"))
        Stay.objects.bulk_create(
            Stay(person=p, community=parent, reason="work", arrived_on=dt.date(2024, 1, 1), source_channel="collector")
            for p in made
        )
        actor = User.objects.create(username="bench-feed-writer", role=Role.COLLECTOR, division=parent)
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        start, prev_hash = head.last_event_id, head.last_hash
        batch = []
        for n in range(events):
            person = made[n % people]
            event = AuditEvent(
                id=start + n + 1,
                occurred_at=timezone.now(),
                actor_id=actor.pk,
                actor_username=actor.username,
                action="person.update",
                object_type="registry.person",
                object_id=str(person.pk),
                division_code=parent.code,
                changes={"phone": ["13800000000", f"139{n:08d}"]},
                source="bench",
                purpose="",
                prev_hash=prev_hash,
            )
            event.hash = prev_hash = event_digest(prev_hash, event_content(event))
            batch.append(event)
            if len(batch) == 5000:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        AuditEvent.objects.bulk_create(batch)
        head.last_event_id, head.last_hash = start + events, prev_hash
        head.save(update_fields=["last_event_id", "last_hash"])
        return start

    def _subsystem(self) -> str:
        department = Department.objects.get_or_create(code="bench", defaults={"name": "bench"})[0]
        account = User.objects.create(username="bench-feed-reader", role=Role.DEPARTMENT_USER, department=department)
        subsystem = Subsystem.objects.create(
            department=department, code="bench", name="bench", account=account, rate_per_minute=10**6
        )
        today = dt.date.today()
        Grant.objects.create(
            subsystem=subsystem, dataset_id="people", fields=["name", "phone"], ways=["feed"], purpose="bench",
            area_id="99", valid_from=today - dt.timedelta(days=1), expires_on=today + dt.timedelta(days=1),
        )  # fmt: skip
        key = ApiToken.new_key()
        ApiToken.objects.create(user=account, name="bench", prefix=key[3:9], key_hash=ApiToken.digest(key))
        return key

    def _raw(self, start: int, events: int) -> float:
        table = AuditEvent._meta.db_table
        sql = (
            f"SELECT id, occurred_at, action, object_type, object_id FROM {table} "  # noqa: S608 (table name only)
            "WHERE id > %s AND object_type = %s ORDER BY id LIMIT %s"
        )
        began, after, seen = time.perf_counter(), start, 0
        with connection.cursor() as cursor:
            while True:
                cursor.execute(sql, [after, "registry.person", PAGE])
                rows = cursor.fetchall()
                if not rows:
                    break
                seen += len(rows)
                after = rows[-1][0]
        elapsed = time.perf_counter() - began
        if seen != events:
            raise CommandError(f"the raw SELECT saw {seen} events, not {events}")
        return elapsed

    def _feed(self, key: str, start: int, events: int) -> float:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
        began, after, seen = time.perf_counter(), start, 0
        while True:
            response = client.get(f"/api/exchange/feeds/people?after={after}&limit={PAGE}")
            if response.status_code != 200:
                raise CommandError(f"the feed answered {response.status_code}: {response.content[:300]!r}")
            body = response.json()
            seen += len(body["events"])
            after = body["next_cursor"]
            if not body["more"]:
                break
        elapsed = time.perf_counter() - began
        if seen != events:
            raise CommandError(f"the feed gave {seen} events, not {events}")
        return elapsed
