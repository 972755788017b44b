"""Keeping the cells current: a full rebuild, and a refresh of only the areas the audit chain says changed.

Community cells come from `measures.py`; the cells of a township, county, prefecture and the province are the
sums of their children's, computed level by level in the database (INSERT ... SELECT ... GROUP BY parent).
The refresh follows the oversight cells (`oversight/cells.py`): read the audit events after the watermark,
turn their division codes into the fewest covering prefixes, recompute the community cells under those
prefixes and then every ancestor level above them, move the watermark, all in one transaction under a lock on
the state row. Readers never see a half-refreshed level (one transaction; PostgreSQL's MVCC, SQLite's WAL).

Freshness: `freshness()` says when the cells were last brought up to the chain's head and how many audited
writes wait; the dashboards print it.
"""

import time
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from liuguan.core.models import AuditChainHead, AuditEvent
from liuguan.oversight.cells import READ_ACTIONS, area_q, covering_prefixes

from .measures import MEASURES
from .models import Cell, RollupState

LEVELS = (12, 9, 6, 4, 2)
PARENT_LENGTH = {12: 9, 9: 6, 6: 4, 4: 2, 2: 0}
COLUMNS = ("area", "level", "parent", "measure", "k1", "k2", "n")
PREFIXES_PER_STATEMENT = 400
# Audited writes that change nothing a cell counts: reading, the federation's transport, the cells' own work,
# accounts and grants, reference data, associations, duties and notices. Left out, they cost nothing; counted,
# one made by a province-level account (division "51") would make the refresh recount the whole province.
IGNORED_FAMILIES = (
    "federation.", "insight.", "outflow.", "accounts.", "token.", "user.", "grant.", "subsystem.", "subscription.",
    "catalogue.", "departments.", "divisions.", "registration_policies.", "permit_policy.", "exchange.",
    "delivery.", "association.", "agreement.", "breach.", "bulletin.", "offence.", "feedback.", "tier.",
    "certificate.", "disagreement.", "duty.", "legal_aid_unit.", "open311_client.", "portal.notif", "portal.otp",
    "portal.sign_in", "portal.account", "portal.police_sittings", "linkage.run", "linkage.model", "linkage.task",
    "linkage.keep_apart", "demo.", "import.result_read",
)  # fmt: skip


def relevant_events(after: int, upto: int | None = None):
    """The audited writes after the watermark that may change a cell."""
    events = AuditEvent.objects.filter(id__gt=after).exclude(action__in=READ_ACTIONS)
    if upto is not None:
        events = events.filter(id__lte=upto)
    for family in IGNORED_FAMILIES:
        events = events.exclude(action__startswith=family)
    return events


def _table() -> str:
    return connection.ops.quote_name(Cell._meta.db_table)


def _columns() -> str:
    return ", ".join(connection.ops.quote_name(Cell._meta.get_field(c).column) for c in COLUMNS)


def _insert_select(queryset) -> int:
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table()} ({_columns()}) {sql}", params)  # noqa: S608 (compiled by the ORM)
        return cursor.rowcount


def _community_cells(where: Callable[[object], Q] | None, level: int = 12) -> int:
    """Insert the cells of every measure located at `level` (12: the community cells); `where(measure)` limits
    the rows to the areas being recomputed.
    """
    inserted = 0
    for measure in MEASURES.values():
        if measure.level == level:
            inserted += _insert_select(measure.by_community(None if where is None else where(measure)))
    return inserted


def _coarse_levels() -> set[int]:
    return {m.level for m in MEASURES.values() if m.level != 12}


def _sum_up(child_level: int, child_where: str = "", params: tuple = ()) -> int:
    """Insert the cells of the level above `child_level` as sums of the child cells `child_where` selects."""
    parent_length = PARENT_LENGTH[child_level]
    up = PARENT_LENGTH[parent_length]
    grand = f"SUBSTR(parent, 1, {up})" if up else "''"
    sql = (
        f"INSERT INTO {_table()} ({_columns()}) "  # noqa: S608 (no user input; lengths are constants)
        f"SELECT parent, {parent_length}, {grand}, measure, k1, k2, SUM(n) FROM {_table()} "
        f"WHERE level = %s {child_where} GROUP BY parent, measure, k1, k2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (child_level, *params))
        return cursor.rowcount


def _head() -> int:
    return AuditChainHead.objects.filter(pk=1).values_list("last_event_id", flat=True).first() or 0


def _state_locked() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def rollup_rebuild() -> dict:
    """Count every cell again from the live tables; the watermark moves to the chain head read first."""
    started = time.monotonic()
    with transaction.atomic():
        state = _state_locked()
        upto = _head()
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute(f"TRUNCATE {_table()}")
            with connection.schema_editor() as editor:
                for index in Cell._meta.indexes:
                    editor.remove_index(Cell, index)
        else:
            Cell.objects.all().delete()
        cells = _community_cells(None)
        coarse = _coarse_levels()
        for child_level in LEVELS[:-1]:
            cells += _sum_up(child_level)
            # Measures located at the level just summed into add their own cells there (none exist below it).
            if PARENT_LENGTH[child_level] in coarse:
                cells += _community_cells(None, PARENT_LENGTH[child_level])
        if postgresql:
            with connection.schema_editor() as editor:
                for index in Cell._meta.indexes:
                    editor.add_index(Cell, index)
        state.audit_event_id = upto
        state.rebuilt_at = state.refreshed_at = timezone.now()
        state.last_seconds = round(time.monotonic() - started, 3)
        state.last_prefixes = 0
        state.save()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {_table()}")
    return {"mode": "rebuild", "audit_event_id": upto, "cells": cells, "seconds": state.last_seconds}


def changed_prefixes(after: int, upto: int) -> list[str]:
    """The areas audited writes in (after, upto] touched, as the fewest covering division codes.

    Besides each event's own division, a write on a person, an employer, a house or a school record changes the
    cells wherever their stays or records are counted, which an event naming one division cannot say: those
    communities are looked up (`related_communities`).
    """
    events = relevant_events(after, upto)
    codes = set(events.exclude(division_code="").order_by().values_list("division_code", flat=True).distinct())
    codes |= related_communities(events)
    return covering_prefixes(codes)


RELATED_OBJECTS = ("registry.person", "registry.employer", "registry.house", "schooling.schoolrecord")
RELATED_CHUNK = 1000


def _ids(values) -> list[int]:
    return sorted({int(v) for v in values if str(v).isdigit()})


def related_communities(events) -> set[str]:
    """Communities whose cells count something an audited write changed away from the event's own division: the
    open stays of a person edited or merged (sex, birth date, hukou), of an employer's staff (its industry), of a
    house's tenants (its kind), and the schools of a child whose school record moved.
    """
    from liuguan.livelihood.schooling.models import SchoolRecord
    from liuguan.registry.models import House, Stay

    rows = list(
        events.filter(Q(object_type__in=RELATED_OBJECTS) | Q(action="linkage.merge"))
        .order_by()
        .values_list("object_type", "object_id", "action", "changes")
    )
    wanted: dict[str, set] = {name: set() for name in RELATED_OBJECTS}
    for object_type, object_id, action, changes in rows:
        if action == "linkage.merge":
            changes = changes if isinstance(changes, dict) else {}
            wanted["registry.person"].update(str(changes.get(k, "")) for k in ("survivor", "merged"))
        elif object_type in wanted:
            wanted[object_type].add(object_id)
    open_stays = Stay.objects.filter(departed_on__isnull=True).order_by()
    found: set[str] = set()
    for object_type, ids in wanted.items():
        ids = _ids(ids)
        for start in range(0, len(ids), RELATED_CHUNK):
            part = ids[start : start + RELATED_CHUNK]
            if object_type == "registry.person":
                queries = [open_stays.filter(person_id__in=part).values_list("community_id", flat=True)]
            elif object_type == "registry.employer":
                queries = [open_stays.filter(employer_id__in=part).values_list("community_id", flat=True)]
            elif object_type == "registry.house":
                queries = [
                    open_stays.filter(house_id__in=part).values_list("community_id", flat=True),
                    House.objects.filter(pk__in=part).order_by().values_list("community_id", flat=True),
                ]
            else:
                children = SchoolRecord.objects.filter(pk__in=part).values("child_id")
                queries = [
                    SchoolRecord.objects.filter(child_id__in=children)
                    .order_by()
                    .values_list("school__community_id", flat=True)
                ]
            for query in queries:
                found.update(query.distinct())
    return found


def _refresh_prefixes(prefixes: list[str]) -> int:
    """Recompute the community cells under `prefixes`, then each level above them up to the province."""
    cells = 0
    coarse = _coarse_levels()
    for start in range(0, len(prefixes), PREFIXES_PER_STATEMENT):
        part = prefixes[start : start + PREFIXES_PER_STATEMENT]
        Cell.objects.filter(Q(level=12) & area_q("area", part)).delete()
        cells += _community_cells(lambda measure, part=part: measure.in_areas(part))
    for child_level in LEVELS[:-1]:
        parent_length = PARENT_LENGTH[child_level]
        # The parents to recompute: the prefix's own ancestor at that level, or every area under a short prefix.
        exact = sorted({p[:parent_length] for p in prefixes if len(p) >= parent_length})
        short = [p for p in prefixes if len(p) < parent_length]
        for start in range(0, max(len(exact), 1), PREFIXES_PER_STATEMENT):
            chunk = exact[start : start + PREFIXES_PER_STATEMENT]
            shorts = short if start == 0 else []
            if not chunk and not shorts:
                continue
            target = Q(area__in=chunk)
            for prefix in shorts:
                # Every code that starts with the prefix: from the prefix itself (not padded with zeros, which
                # would miss an area such as '510100' under '5101') up to the prefix padded with nines.
                target |= Q(area__gte=prefix, area__lte=prefix.ljust(12, "9"))
            Cell.objects.filter(Q(level=parent_length) & target).delete()
            conditions, params = [], []
            if chunk:
                conditions.append(f"parent IN ({', '.join(['%s'] * len(chunk))})")
                params.extend(chunk)
            for prefix in shorts:
                conditions.append("(area >= %s AND area <= %s)")
                params.extend([prefix, prefix.ljust(12, "9")])
            cells += _sum_up(child_level, "AND (" + " OR ".join(conditions) + ")", tuple(params))
            if parent_length in coarse:
                areas = [*chunk, *shorts]
                cells += _community_cells(lambda measure, areas=areas: measure.in_areas(areas), parent_length)
    return cells


def rollup_refresh() -> dict:
    """Bring the cells up to the latest audited write, recomputing only the areas those writes touched."""
    started = time.monotonic()
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.rebuilt_at is None:
        return rollup_rebuild()
    if _head() <= state.audit_event_id:
        RollupState.objects.filter(pk=1).update(refreshed_at=timezone.now())
        return {"mode": "current", "audit_event_id": state.audit_event_id, "prefixes": 0}
    with transaction.atomic():
        state = _state_locked()
        upto = _head()
        prefixes = changed_prefixes(state.audit_event_id, upto)
        cells = _refresh_prefixes(prefixes) if prefixes else 0
        state.audit_event_id = upto
        state.refreshed_at = timezone.now()
        state.last_seconds = round(time.monotonic() - started, 3)
        state.last_prefixes = len(prefixes)
        state.save()
    return {
        "mode": "refresh",
        "audit_event_id": upto,
        "prefixes": len(prefixes),
        "cells": cells,
        "seconds": state.last_seconds,
    }


def freshness() -> dict:
    """How current the cells are: when they last caught up, and the audited writes not yet counted."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.rebuilt_at is None:
        return {"built": False, "refreshed_at": None, "pending": 0, "oldest_pending_at": None, "lag_seconds": None}
    waiting = relevant_events(state.audit_event_id).aggregate(n=Count("id"), t=Min("occurred_at"))
    pending, oldest = waiting["n"], waiting["t"]
    now = timezone.now()
    # The figures hold every write up to the oldest one still waiting (or up to the last refresh when none waits).
    as_of = oldest or state.refreshed_at
    return {
        "built": True,
        "refreshed_at": state.refreshed_at,
        "rebuilt_at": state.rebuilt_at,
        "pending": pending,
        "oldest_pending_at": oldest,
        "as_of": as_of,
        "lag_seconds": max((now - as_of).total_seconds(), 0.0) if oldest else 0.0,
        "last_seconds": state.last_seconds,
    }
