"""Delete a generated province: its people, stays, houses, employers, lodgings, their duty records (filings,
reports, agreements, breaches) and truth; never places or accounts (the demo's landlord, employer and hotel
accounts are unbound, and bound again by the next run).

Generated rows are found by the key ranges each run reserved (DemoRun.summary["ids"]) and deleted with one
statement per table, not through the ORM, which would load a million rows to delete them. Rows of other
tables that point at them are treated as their foreign key says: CASCADE deletes them, SET_NULL clears the
reference, PROTECT stops the reset with the name of the table, and everything is rolled back.
"""

from django.db import connection, models, transaction

from liuguan.accounts.models import User
from liuguan.compliance import models as compliance

from .accounts import DUTY_USERNAMES
from .models import Defect, DemoRun, TruePerson
from .writers import TABLES

# Deleted in this order; stays first, since they point at people, houses and employers.
DELETE_ORDER = ("stay", "person", "house", "employer", "lodging")
# Duty records about generated people, stays, houses, employers and hotels go with them (generated or added
# later through the pages, like stays): those that point at others first.
DUTY_ORDER = (
    compliance.Breach,
    compliance.Disagreement,
    compliance.AgreementReminder,
    compliance.TenancyTenant,
    compliance.DutyReport,
    compliance.ForeignDocument,
    compliance.PersonTier,
    compliance.TenancyFiling,
    compliance.ResponsibilityAgreement,
)


def _work_delete(spans: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Work done on generated people since (spot checks, feedback tasks, sweeps, permit applications and
    permits, outflow records) goes with them, through the ORM so its own dependents follow their foreign keys;
    these tables hold thousands of rows, not millions. Rounds and sweeps left without work go too.
    """
    from liuguan.outflow.demo import outflow_demo_reset
    from liuguan.outflow.models import OutflowRecord, RemoteStay
    from liuguan.oversight.models import FeedbackTask, SpotCheck, SpotCheckRound, Sweep, SweepTask
    from liuguan.permits.models import Application, MarriageCertificate, Permit

    deleted: dict[str, int] = {}
    persons, houses = spans.get("person"), spans.get("house")
    # The outflow demo's records, the people its reports registered and its truth; then any outflow record or
    # stay at another instance of a generated person (their history and tasks go with them).
    deleted.update({f"outflow_demo_{k}": v for k, v in outflow_demo_reset().items()})
    from liuguan.livelihood.schooling.demo import schooling_demo_reset

    deleted.update({f"schooling_demo_{k}": v for k, v in schooling_demo_reset().items()})
    from liuguan.portal.demo import portal_demo_reset

    deleted.update({f"portal_{k}": v for k, v in portal_demo_reset(persons).items()})
    from liuguan.livelihood.associations.demo import associations_demo_reset
    from liuguan.livelihood.legalaid.demo import legalaid_demo_reset

    deleted.update({f"legalaid_{k}": v for k, v in legalaid_demo_reset(persons).items()})
    deleted.update({f"associations_{k}": v for k, v in associations_demo_reset(persons).items()})
    if persons:
        for model in (OutflowRecord, RemoteStay):
            count, _ = model.objects.filter(person_id__gte=persons[0], person_id__lte=persons[1]).delete()
            deleted[model._meta.model_name] = count
        # A replacement application and the permit it replaced protect each other: cut that link first.
        Application.objects.filter(person_id__gte=persons[0], person_id__lte=persons[1]).update(replaces=None)
        for model in (FeedbackTask, SpotCheck, Permit, Application, MarriageCertificate):
            count, _ = model.objects.filter(person_id__gte=persons[0], person_id__lte=persons[1]).delete()
            deleted[model._meta.model_name] = count
    if houses:
        deleted["sweeptask"], _ = SweepTask.objects.filter(house_id__gte=houses[0], house_id__lte=houses[1]).delete()
    deleted["spotcheckround"], _ = SpotCheckRound.objects.filter(checks__isnull=True).delete()
    deleted["sweep"], _ = Sweep.objects.filter(tasks__isnull=True).delete()
    return deleted


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


def _about_generated(model, spans: dict[str, tuple[int, int]], depth: int = 0) -> tuple[str, list]:
    """SQL condition (and parameters) for rows of a duty table that point at generated rows, directly or
    through another duty row (a breach's report, a tenant's filing, a reminder's agreement).
    """
    generated = {TABLES[name][0]: spans[name] for name in DELETE_ORDER if name in spans}
    parts, params = [], []
    for field in model._meta.concrete_fields:
        target = getattr(field, "related_model", None)
        if target in generated:
            parts.append(f'"{field.column}" BETWEEN %s AND %s')
            params.extend(generated[target])
        elif target in DUTY_ORDER and target is not model and depth < 2:
            inner, inner_params = _about_generated(target, spans, depth + 1)
            if inner:
                parts.append(f'"{field.column}" IN (SELECT id FROM "{target._meta.db_table}" WHERE {inner})')  # noqa: S608
                params.extend(inner_params)
    return " OR ".join(parts), params


def _duties_delete(cursor, spans: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Delete the duty records about generated rows; unbind the demo's landlord, employer and hotel accounts."""
    deleted = {}
    bindings = {"person_id": "person", "organisation_id": "employer", "lodging_id": "lodging"}
    for field, name in bindings.items():
        if name in spans:
            low, high = spans[name]
            bound = {f"{field}__gte": low, f"{field}__lte": high}
            User.objects.filter(username__in=DUTY_USERNAMES, **bound).update(**{field: None})
    for model in DUTY_ORDER:
        where, params = _about_generated(model, spans)
        if where:
            cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE {where}', params)  # noqa: S608
            deleted[model._meta.model_name] = max(cursor.rowcount, 0)
    return deleted


@transaction.atomic
def demo_reset() -> dict[str, int]:
    """Delete every generated row and the truth tables; offices, grids, accounts and divisions stay."""
    spans = demo_spans()
    deleted = {}
    deleted.update(_work_delete(spans))
    with connection.cursor() as cursor:
        for name in ("defect", "trueperson", "dutygap"):
            cursor.execute(f'DELETE FROM "{TABLES[name][0]._meta.db_table}"')  # noqa: S608
            deleted[name] = max(cursor.rowcount, 0)
        deleted.update(_duties_delete(cursor, spans))
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
