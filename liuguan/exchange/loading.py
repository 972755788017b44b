"""Loading the departments that share data through the exchange, from the shipped list or a city's own file."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput

from .models import Department, Kind

DEPARTMENTS_FILE = Path(__file__).resolve().parent / "data" / "departments.json"

# What sort of body a department is: it decides who signs a data-sharing agreement for it.
KINDS = frozenset(Kind.values)
# Codes are stable identifiers that grants, tokens and URLs carry: lower-case ASCII words joined by "_".
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
UPSERT_FIELDS = ("name", "name_en", "kind")


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Departments in the database that the file no longer lists; never deleted, as users and grants point at them.
    missing_from_source: int = 0


def _problem(where: str, rule: str, message) -> FieldProblem:
    return FieldProblem(field=where, rule=rule, message=str(message))


def _field_max_length(name: str) -> int:
    return Department._meta.get_field(name).max_length


def departments_read(path) -> list[dict]:
    """The entries of a departments file, each checked for a stable code, names that fit and a known kind."""
    path = Path(path)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput([_problem(path.name, "source_format", error)])
    if not isinstance(entries, list):
        message = _("%(file)s must hold a JSON list of departments.")
        raise InvalidInput([_problem(path.name, "source_format", message % {"file": path.name})])

    problems, seen = [], set()
    for index, entry in enumerate(entries, start=1):
        where = f"{path.name}[{index}]"
        if not isinstance(entry, dict) or not all(isinstance(entry.get(key), str) for key in ("code", "name", "kind")):
            message = _("Entry %(n)d needs the text fields code, name and kind.")
            problems.append(_problem(where, "source_format", message % {"n": index}))
            continue
        code = entry["code"]
        where = f"department {code}"
        if not CODE_PATTERN.fullmatch(code) or len(code) > _field_max_length("code"):
            message = _(
                "Department code “%(code)s” must be lower-case ASCII letters, digits and _, at most %(max)d characters."
            )
            problems.append(_problem(where, "code", message % {"code": code, "max": _field_max_length("code")}))
        if code in seen:
            message = _("Department %(code)s appears more than once.")
            problems.append(_problem(where, "duplicate", message % {"code": code}))
        seen.add(code)
        for key in UPSERT_FIELDS:
            value, limit = entry.get(key, ""), _field_max_length(key)
            if not isinstance(value, str) or len(value) > limit or (key == "name" and not value.strip()):
                if key == "name":
                    message = _("Department %(code)s needs a name of 1 to %(max)d characters.")
                else:
                    message = _("Department %(code)s needs an English name of at most %(max)d characters.")
                problems.append(_problem(where, key, message % {"code": code, "max": limit}))
        if entry["kind"] not in KINDS:
            message = _("Department %(code)s has the unknown kind “%(kind)s”; known kinds: %(kinds)s.")
            context = {"code": code, "kind": entry["kind"], "kinds": ", ".join(sorted(KINDS))}
            problems.append(_problem(where, "kind", message % context))
    if problems:
        raise InvalidInput(problems)
    return entries


def departments_load(*, actor, path=None, source: str = "cli") -> LoadResult:
    """Upsert departments by code from the file (the shipped list by default); never delete, audit once."""
    entries = departments_read(path or DEPARTMENTS_FILE)
    with transaction.atomic():
        existing = {
            code: (name, name_en, kind)
            for code, name, name_en, kind in Department.objects.values_list("code", "name", "name_en", "kind")
        }
        to_create, to_update, changes = [], [], {}
        for entry in entries:
            wanted = (entry["name"].strip(), entry.get("name_en", "").strip(), entry["kind"])
            department = Department(code=entry["code"], name=wanted[0], name_en=wanted[1], kind=wanted[2])
            before = existing.get(entry["code"])
            if before is None:
                to_create.append(department)
            elif before != wanted:
                to_update.append(department)
                changes[entry["code"]] = {
                    key: [old, new] for key, old, new in zip(UPSERT_FIELDS, before, wanted, strict=True) if old != new
                }
        Department.objects.bulk_create(to_create)
        Department.objects.bulk_update(to_update, list(UPSERT_FIELDS))
        result = LoadResult(
            created=len(to_create),
            updated=len(to_update),
            unchanged=len(entries) - len(to_create) - len(to_update),
            missing_from_source=len(existing.keys() - {entry["code"] for entry in entries}),
        )
        audit_record(
            actor=actor,
            action="departments.load",
            object_type="exchange.department",
            changes={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "missing_from_source": result.missing_from_source,
                "created_codes": [department.code for department in to_create],
                "updated_codes": changes,
            },
            source=source,
        )
    return result
