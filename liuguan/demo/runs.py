"""Generate and reset the demo province.

This is bulk seeding, not registration: rows go in by COPY or bulk_create, not through the registry's
services, so there is no audit event per person or stay. A run writes ONE audit event (`demo.generate`,
with the seed, the options and the counts), each named demo account its own `user.create` event, and the
field workers made by the run one `user.create_batch` event.
"""

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, audit_record

from .accounts import accounts_ensure, chain_find, duty_accounts_ensure, field_accounts_ensure, grid_workers_assign
from .defects import Rates
from .exchange import exchange_demo_ensure
from .generator import ProvinceGenerator, World
from .geography import divisions_ensure, plan_build
from .models import DemoRun, TruePerson
from .places import offices_ensure, workplaces_generate
from .prefetch import prefetch
from .reset import demo_reset
from .writers import IdBlocks, column, reserve_for_connection, writer_for_connection

DEFAULT_PERSONS = 20_000
DEFAULT_CHUNK = 10_000


class DemoDataExists(Exception):
    """The database already holds a generated province; numbers of two runs could collide, so reset first."""


def _extend_spans(spans: dict[str, list[int]], rows: dict[str, list]) -> dict[str, list[int]]:
    """Widen each table's range of written keys (the first column); --reset deletes exactly these ranges.

    Written keys, not reserved ones: SQLite hands the unused rest of a reserved block to the next insert.
    """
    for table, written in rows.items():
        if written:
            low, high = min(row[0] for row in written), max(row[0] for row in written)
            span = spans.setdefault(table, [low, high])
            span[0], span[1] = min(span[0], low), max(span[1], high)
    return spans


def _collectors(users) -> dict[str, list[int]]:
    """Collector accounts by township, by username: a stay in that township is credited to one of them."""
    found: dict[str, list[int]] = {}
    for user in sorted(users.values(), key=lambda u: u.username):
        if user.role == Role.COLLECTOR and user.division_id:
            found.setdefault(user.division_id[:9], []).append(user.pk)
    return found


def world_build(*, seed: int, persons: int, as_of: dt.date, ids: IdBlocks, run_id: int = 0) -> World:
    """Plan, offices, grids and demo accounts in the database; employers and hotels as rows not yet written."""
    province = settings.LIUGUAN_PROVINCE_CODE
    divisions_ensure(province)
    chain = chain_find(province)
    plan = plan_build(seed=seed, persons=persons, province=province, required=chain.communities)
    offices = offices_ensure(plan)
    users, created = accounts_ensure(chain, service=offices.service, stations=offices.stations, points=offices.points)
    field, field_created = field_accounts_ensure(
        plan, chain, seed=seed, points=offices.points, stations=offices.stations
    )
    users |= field
    grid_workers_assign(chain, users)
    workplaces = workplaces_generate(plan, seed=seed, ids=ids, grids=offices.grids, as_of=as_of)
    return World(
        plan=plan,
        workplaces=workplaces,
        grids=offices.grids,
        points=offices.points,
        collectors=_collectors(users),
        run_id=run_id,
        as_of=as_of,
        created={"offices_and_grids": offices.created, "accounts": created, "field_accounts": field_created},
        chain=chain,
    )


def demo_generate(
    *,
    seed: int,
    persons: int = DEFAULT_PERSONS,
    rates: Rates | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    as_of: dt.date | None = None,
    reset: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> DemoRun:
    """Same seed, size, rates and as-of date give the same rows; refuses to add a second province on top of one."""
    started = time.monotonic()
    rates = rates or Rates()
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise ValueError("as_of cannot be in the future: birth dates inside ID numbers must not be")
    province = settings.LIUGUAN_PROVINCE_CODE
    deleted = demo_reset() if reset else {}
    if DemoRun.objects.exists() or TruePerson.objects.exists():
        raise DemoDataExists("this database already holds a generated province; run with --reset to replace it")
    params = {"rates": asdict(rates), "chunk_size": chunk_size, "as_of": as_of.isoformat(), "province": province}
    ids = IdBlocks(reserve_for_connection(), block=max(1000, chunk_size))
    world = world_build(seed=seed, persons=persons, as_of=as_of, ids=ids)
    run = DemoRun.objects.create(seed=seed, persons=persons, params=params)
    world.run_id = run.pk
    writer = writer_for_connection()
    spans: dict[str, list[int]] = {}
    generator = ProvinceGenerator(world, seed=seed, persons=persons, rates=rates, ids=ids)
    # Employers' and hotels' responsibility agreements are written with them, before anyone lives here.
    world.workplaces.rows.update(generator.duties.workplace_rows())
    counts: Counter = Counter({t: len(r) for t, r in world.workplaces.rows.items()})
    with transaction.atomic():
        writer.write(world.workplaces.rows)
        run.summary = {"ids": _extend_spans(spans, world.workplaces.rows)}
        run.save(update_fields=["summary"])
    setup_seconds = time.monotonic() - started
    defects: Counter = Counter()
    kind_at, registered_at = column("defect", "kind"), column("trueperson", "registered")
    father_at, mother_at = column("trueperson", "father_key"), column("trueperson", "mother_key")
    people_started = time.monotonic()
    done = 0
    chunks = generator.chunks(chunk_size)
    if connection.vendor == "postgresql":
        # SQLite's writer is Python itself, so a second thread would only take turns with it for the GIL.
        chunks = prefetch(chunks)
    with closing(chunks):
        for chunk in chunks:
            with transaction.atomic():
                writer.write(chunk.rows)
                run.summary = {"ids": _extend_spans(spans, chunk.rows)}
                run.save(update_fields=["summary"])
            for table, rows in chunk.rows.items():
                counts[table] += len(rows)
            defects.update(str(row[kind_at]) for row in chunk.rows["defect"])
            counts["unregistered"] += sum(1 for row in chunk.rows["trueperson"] if not row[registered_at])
            counts["children"] += sum(1 for row in chunk.rows["trueperson"] if row[father_at] or row[mother_at])
            done += chunk.persons
            if progress:
                progress(done, persons)
    people_seconds = time.monotonic() - people_started
    duty_counts = generator.duties.counts
    counts.update({k: v for k, v in duty_counts.items() if not k.startswith("gap_")})
    duty_gaps = {k.removeprefix("gap_"): v for k, v in sorted(duty_counts.items()) if k.startswith("gap_")}
    # Landlord, employer and hotel accounts are bound to what this run generated, so they come last.
    world.created["accounts"] += duty_accounts_ensure(world.chain)
    subsystem = exchange_demo_ensure(world.chain)
    summary = {
        "ids": spans,
        "counts": dict(counts),
        "defects": dict(defects),
        "duty_gaps": duty_gaps,
        "offices_and_grids_created": world.created["offices_and_grids"],
        "accounts_created": world.created["accounts"],
        "field_accounts_created": world.created["field_accounts"],
        "exchange_subsystem": subsystem.pk if subsystem else None,
        "deleted": deleted,
        "seconds": {
            "setup": round(setup_seconds, 3),
            "people": round(people_seconds, 3),
            "total": round(time.monotonic() - started, 3),
        },
    }
    with transaction.atomic():
        run.summary = summary
        run.finished_at = timezone.now()
        run.save(update_fields=["summary", "finished_at"])
        audit_record(
            actor=SYSTEM,
            action="demo.generate",
            object_type="demo.demorun",
            object_id=str(run.pk),
            division_code=province,
            source="cli",
            changes={
                "seed": seed,
                "persons": persons,
                "params": params,
                "reset": reset,
                "deleted": deleted,
                "counts": dict(counts),
                "defects": dict(defects),
                "duty_gaps": duty_gaps,
                "accounts_created": world.created["accounts"],
                "field_accounts_created": world.created["field_accounts"],
            },
        )
    return run
