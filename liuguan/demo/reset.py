"""Delete a generated province: its people, stays, houses, employers, lodgings and truth; never places or accounts.

Generated rows are found by the key ranges each run reserved (DemoRun.summary["ids"]) and deleted with one
statement per table, not through the ORM, which would load a million rows to delete them. Rows of other
tables that point at them are treated as their foreign key says: CASCADE deletes them, SET_NULL clears the
reference, PROTECT stops the reset with the name of the table, and everything is rolled back.
"""

from django.db import connection, models, transaction

from .models import Defect, DemoRun, TruePerson
from .writers import TABLES

# Deleted in this order; stays first, since they point at people, houses and employers.
DELETE_ORDER = ("stay", "person", "house", "employer", "lodging")


class ResetBlocked(Exception):
    """Another table protects generated rows (on_delete=PROTECT); remove those rows first."""


def demo_spans() -> dict[str, tuple[int, int]]:
    """The lowest and highest key reserved per table over all runs."""
    spans: dict[str, tuple[int, int]] = {}
    for summary in DemoRun.objects.values_list("summary", flat=True):
        for table, (low, high) in (summary or {}).get("ids", {}).items():
            old = spans.get(table, (low, high))
            spans[table] = (min(old[0], low), max(old[1], high))
    return spans


def _detach(cursor, model, span: tuple[int, int]) -> None:
    for rel in model._meta.related_objects:
        field = rel.field
        # Foreign keys only (many-to-many tables are not ours to touch); the truth is deleted before.
        if not isinstance(rel, models.ManyToOneRel) or rel.related_model in (TruePerson, Defect):
            continue
        if not getattr(field, "db_constraint", True):
            continue
        table, column = rel.related_model._meta.db_table, field.column
        where = f'"{column}" BETWEEN %s AND %s'
        if rel.on_delete is models.CASCADE:
            cursor.execute(f'DELETE FROM "{table}" WHERE {where}', span)  # noqa: S608
        elif rel.on_delete in (models.SET_NULL, models.DO_NOTHING) and field.null:
            cursor.execute(f'UPDATE "{table}" SET "{column}" = NULL WHERE {where}', span)  # noqa: S608
        else:
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE {where} LIMIT 1', span)  # noqa: S608
            if cursor.fetchone():
                raise ResetBlocked(f"{table}.{column} still points at generated {model._meta.label} rows")


@transaction.atomic
def demo_reset() -> dict[str, int]:
    """Delete every generated row and the truth tables; offices, grids, accounts and divisions stay."""
    spans = demo_spans()
    deleted = {}
    with connection.cursor() as cursor:
        for name in ("defect", "trueperson"):
            cursor.execute(f'DELETE FROM "{TABLES[name][0]._meta.db_table}"')  # noqa: S608
            deleted[name] = max(cursor.rowcount, 0)
        stays = TABLES["stay"][0]._meta.db_table
        if "person" in spans:
            # Stays added later through the pages to generated people go with them.
            cursor.execute(f'DELETE FROM "{stays}" WHERE person_id BETWEEN %s AND %s', spans["person"])  # noqa: S608
            deleted["stay"] = max(cursor.rowcount, 0)
        for name in DELETE_ORDER:
            if name not in spans:
                continue
            model = TABLES[name][0]
            _detach(cursor, model, spans[name])
            cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE id BETWEEN %s AND %s', spans[name])  # noqa: S608
            deleted[name] = deleted.get(name, 0) + max(cursor.rowcount, 0)
    DemoRun.objects.all().delete()
    return deleted
