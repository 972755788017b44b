"""The summary cells behind timeliness and staleness: rebuilt in full, or refreshed from the audit chain.

Every write that changes a stay leaves an audit event carrying the stay's community code (an import chunk
carries the uploader's division, which contains every community the chunk wrote to). The refresh reads the
events after its watermark, turns their division codes into the smallest set of code prefixes that covers
them, recomputes the cells of those areas from the stays, and moves the watermark, all in one transaction.
Audit event ids are handed out under a lock on the chain head, so they commit in id order: every event at or
below the head read at the start is committed, and every later one will be seen by the next refresh.
"""

import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, DateField, F, IntegerField, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from liuguan.core.models import AuditChainHead, AuditEvent
from liuguan.core.scoping import within
from liuguan.registry.models import Stay

from .models import CellsState, OmissionCell, OpenStayCell, RegistrationCell
from .omission_cells import omission_cells_insert

CHINA = ZoneInfo(settings.TIME_ZONE)
# Audit actions that only read: they carry an area but never change a stay, so they cost no recomputation.
READ_ACTIONS = frozenset(
    {
        "person.reveal",
        "import.result_read",
        "exchange.query",
        "exchange.verify",
        "exchange.extract",
        "exchange.feed",
        "exchange.feed_ack",
    }
)
# Prefixes recomputed per statement: enough to keep each statement's SQL and plan small.
PREFIXES_PER_STATEMENT = 400
CODE_LENGTHS = (2, 4, 6, 9, 12)

REGISTRATION_COLUMNS = ("month", "community", "collector_id", "point_id", "channel", "lag", "late", "n")
OPEN_COLUMNS = ("community", "collector_id", "point_id", "channel", "checked_month", "n")


def _as_date(expression):
    """PostgreSQL's date_trunc gives a timestamp; the cells hold dates (SQLite's function already gives one)."""
    return Cast(expression, DateField()) if connection.vendor == "postgresql" else expression


def _registration_month():
    return _as_date(TruncMonth("registered_at", output_field=DateField(), tzinfo=CHINA))


def registration_rows(stays: QuerySet) -> QuerySet:
    """Stays counted by China-time month of registration, community, collector, point, channel, capped lag, late."""
    cap = RegistrationCell.LAG_CAP
    return (
        stays.order_by()
        .annotate(
            cell_month=_registration_month(),
            cell_lag=Case(When(lag_days__gt=cap, then=Value(cap)), default=F("lag_days"), output_field=IntegerField()),
        )
        .values(
            "cell_month", "community_id", "collector_id", "collection_point_id", "source_channel", "cell_lag", "late"
        )
        .annotate(cell_n=Count("id"))
        .values_list(
            "cell_month",
            "community_id",
            "collector_id",
            "collection_point_id",
            "source_channel",
            "cell_lag",
            "late",
            "cell_n",
        )
    )


def open_rows(stays: QuerySet) -> QuerySet:
    """Open stays counted by community, collector, point, channel and the month last confirmed (or registered)."""
    return (
        stays.order_by()
        .filter(departed_on__isnull=True)
        .annotate(cell_checked=Coalesce(_as_date(TruncMonth("verified_on")), _registration_month()))
        .values("community_id", "collector_id", "collection_point_id", "source_channel", "cell_checked")
        .annotate(cell_n=Count("id"))
        .values_list("community_id", "collector_id", "collection_point_id", "source_channel", "cell_checked", "cell_n")
    )


def _insert(model, columns: tuple[str, ...], rows: QuerySet) -> int:
    """INSERT ... SELECT the grouped rows into a cell table, in the database, without a round trip per row."""
    sql, params = rows.query.get_compiler(connection=connection).as_sql()
    fields = [model._meta.get_field(name).column for name in columns]
    target = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {target} ({names}) {sql}", params)  # noqa: S608 (compiled by the ORM)
        return cursor.rowcount


def area_q(field: str, prefixes: list[str]) -> Q:
    """Codes under any of the prefixes: one IN list for whole communities, a range per larger area."""
    communities = [p for p in prefixes if len(p) == 12]
    q = Q(**{f"{field}__in": communities}) if communities else Q(pk__in=[])
    for prefix in prefixes:
        if len(prefix) < 12:
            q |= within(field, prefix)
    return q


def covering_prefixes(codes) -> list[str]:
    """The fewest division codes whose areas hold all the given ones (a county swallows its communities)."""
    kept: list[str] = []
    for code in sorted({c.strip() for c in codes if c and c.strip().isdigit()}, key=lambda c: (len(c), c)):
        if len(code) not in CODE_LENGTHS:
            # Not a division code of a known length: the nearest enclosing level is recomputed.
            code = code[: max(n for n in CODE_LENGTHS if n <= len(code))] if len(code) >= 2 else ""
            if not code:
                continue
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return sorted(kept)


# Families of audited writes that never change a stay: an outflow record names its origin county, and
# recomputing a whole county's cells for every inflow from it would cost more than the cells save.
NON_STAY_FAMILIES = ("outflow.", "federation.", "grid.", "open311")


def changed_prefixes(after: int, upto: int) -> list[str]:
    """The areas that audited writes in (after, upto] touched, as the fewest covering division codes."""
    events = (
        AuditEvent.objects.filter(id__gt=after, id__lte=upto).exclude(division_code="").exclude(action__in=READ_ACTIONS)
    )
    for family in NON_STAY_FAMILIES:
        events = events.exclude(action__startswith=family)
    return covering_prefixes(events.order_by().values_list("division_code", flat=True).distinct())


def _state_locked() -> CellsState:
    CellsState.objects.get_or_create(pk=1)
    return CellsState.objects.select_for_update().get(pk=1)


def _head() -> int:
    return AuditChainHead.objects.filter(pk=1).values_list("last_event_id", flat=True).first() or 0


def cells_rebuild() -> dict:
    """Recompute every cell from every stay; the watermark moves to the chain head read before the stays."""
    started = time.monotonic()
    with transaction.atomic():
        state = _state_locked()
        upto = _head()
        models = (RegistrationCell, OpenStayCell, OmissionCell)
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            with connection.cursor() as cursor:
                # One grouping over every stay: memory enough to hash it, not sort it on disk; and the indexes
                # built once after the load rather than kept up row by row.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))
            with connection.schema_editor() as editor:
                for model in models:
                    for index in model._meta.indexes:
                        editor.remove_index(model, index)
        else:
            for model in models:
                model.objects.all().delete()
        # Rows in month order, so a period's cells lie together on disk and a scorecard reads few pages.
        registration = _insert(
            RegistrationCell,
            REGISTRATION_COLUMNS,
            registration_rows(Stay.objects.all()).order_by("cell_month", "community_id"),
        )
        open_cells = _insert(OpenStayCell, OPEN_COLUMNS, open_rows(Stay.objects.all()).order_by("community_id"))
        omission_cells = omission_cells_insert(Stay.objects.all())
        if postgresql:
            with connection.schema_editor() as editor:
                for model in models:
                    for index in model._meta.indexes:
                        editor.add_index(model, index)
        now = timezone.now()
        state.audit_event_id = upto
        state.rebuilt_at = state.refreshed_at = now
        state.save()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh rows: set their hint bits and visibility now, not during the first scorecards that read them.
        with connection.cursor() as cursor:
            for model in (RegistrationCell, OpenStayCell, OmissionCell):
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
    return {
        "mode": "rebuild",
        "audit_event_id": upto,
        "registration_cells": registration,
        "open_cells": open_cells,
        "omission_cells": omission_cells,
        "seconds": round(time.monotonic() - started, 3),
    }


def _marks() -> tuple[int, int] | None:
    """(watermark, chain head) in one query, or None when the cells were never built."""
    head = AuditChainHead.objects.filter(pk=1).values("last_event_id")
    row = CellsState.objects.filter(pk=1).annotate(head=Subquery(head)).values_list("audit_event_id", "head").first()
    if row is None:
        return None
    return row[0], row[1] or 0


def cells_refresh() -> dict:
    """Bring the cells up to the latest audited write, recomputing only the areas those writes touched."""
    started = time.monotonic()
    marks = _marks()
    if marks is None:
        return cells_rebuild()
    if marks[1] <= marks[0]:
        return {"mode": "current", "audit_event_id": marks[0], "prefixes": 0}
    with transaction.atomic():
        state = _state_locked()
        upto = _head()
        if upto <= state.audit_event_id:
            return {"mode": "current", "audit_event_id": state.audit_event_id, "prefixes": 0}
        prefixes = changed_prefixes(state.audit_event_id, upto)
        registration = open_cells = 0
        for start in range(0, len(prefixes), PREFIXES_PER_STATEMENT):
            part = prefixes[start : start + PREFIXES_PER_STATEMENT]
            RegistrationCell.objects.filter(area_q("community", part)).delete()
            OpenStayCell.objects.filter(area_q("community", part)).delete()
            OmissionCell.objects.filter(area_q("community", part)).delete()
            stays = Stay.objects.filter(area_q("community_id", part))
            registration += _insert(RegistrationCell, REGISTRATION_COLUMNS, registration_rows(stays))
            open_cells += _insert(OpenStayCell, OPEN_COLUMNS, open_rows(stays))
            omission_cells_insert(stays)
        state.audit_event_id = upto
        state.refreshed_at = timezone.now()
        state.save(update_fields=["audit_event_id", "refreshed_at"])
    return {
        "mode": "refresh",
        "audit_event_id": upto,
        "prefixes": len(prefixes),
        "registration_cells": registration,
        "open_cells": open_cells,
        "seconds": round(time.monotonic() - started, 3),
    }
