"""The comparisons a Chinese registry needs, each level written twice: as Splink SQL and as the same rule in Python.

Splink runs the SQL over millions of pairs; the entry-time warning and the review page evaluate the Python form
on two records. `tests/test_engine.py` checks that both give the same level for the same pairs. Levels are
listed from the strongest agreement down; Splink numbers them from the top (the null level is -1, the last,
"else" level is 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

# Columns the engine gives Splink, derived from standardise's output (name_pyk: pinyin without spaces).
ENGINE_COLUMNS = (
    "record_id",
    "doc_std",
    "doc_valid",
    "name_std",
    "name_pyk",
    "name_py_fuzzy",
    "surname",
    "given",
    "birth",
    "sex",
    "phone_std",
    "hukou_code",
    "address_code",
    "nationality",
    "passport",
)


def one_edit(a: str, b: str) -> bool:
    """At most one substitution, insertion, deletion or swap of neighbours: Damerau-Levenshtein distance <= 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


@dataclass(frozen=True)
class Level:
    label: str  # the reason a reviewer reads, in the terms (English msgid; translated where shown)
    sql: str
    test: Callable[[dict, dict], bool]
    null: bool = False
    tf_column: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...]

    def splink(self) -> dict:
        levels = []
        for level in self.levels:
            entry = {"sql_condition": level.sql, "label_for_charts": level.label, **level.extra}
            if level.null:
                entry["is_null_level"] = True
            if level.tf_column:
                entry["tf_adjustment_column"] = level.tf_column
                entry["tf_adjustment_weight"] = 1.0
            levels.append(entry)
        return {
            "output_column_name": self.name,
            "comparison_description": self.description,
            "comparison_levels": levels,
        }

    def gamma(self, a: dict, b: dict) -> int:
        """Splink's comparison vector value for the pair: -1 for the null level, else counting down to 0."""
        counted = len([level for level in self.levels if not level.null])
        index = 0
        for level in self.levels:
            if level.test(a, b):
                return -1 if level.null else counted - 1 - index
            if not level.null:
                index += 1
        return 0


def one_edit_sql(column: str, fixed: int = 0) -> str:
    """SQL for one_edit on a column pair. A single edit leaves one end intact, and testing that first spares
    DuckDB's slow damerau_levenshtein (about 10 microseconds a call) on almost every pair.
    """
    a, b = f'"{column}_l"', f'"{column}_r"'
    if fixed:  # values of one length (ID numbers, dates): a constant end length, no length() calls
        n = (fixed - 2) // 2
        ends = f"(left({a}, {n}) = left({b}, {n}) OR right({a}, {n}) = right({b}, {n}))"
        return f"({ends} AND damerau_levenshtein({a}, {b}) <= 1)"
    # Integer halving spelled so that every Splink dialect reads it (DuckDB's // is not Spark's div).
    n = f"CAST(floor(greatest(least(length({a}), length({b})) - 2, 0) / 2) AS INTEGER)"
    return (
        f"(abs(length({a}) - length({b})) <= 1 "
        f"AND (left({a}, {n}) = left({b}, {n}) OR right({a}, {n}) = right({b}, {n})) "
        f"AND damerau_levenshtein({a}, {b}) <= 1)"
    )


def _v(record: dict, column: str):
    value = record.get(column)
    return None if value == "" else value


def _null(*columns: str) -> Level:
    sql = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in columns)
    return Level(
        gettext_noop("missing on one side"),
        sql,
        lambda a, b: any(_v(a, c) is None or _v(b, c) is None for c in columns),
        null=True,
    )


def _else(label: str) -> Level:
    return Level(label, "ELSE", lambda a, b: True)


def _eq(column: str) -> Callable[[dict, dict], bool]:
    # SQL's NULL = NULL is not true, and neither is it here.
    return lambda a, b: _v(a, column) is not None and _v(a, column) == _v(b, column)


def _edit(column: str) -> Callable[[dict, dict], bool]:
    return lambda a, b: (
        _v(a, column) is not None and _v(b, column) is not None and one_edit(_v(a, column), _v(b, column))
    )


def _prefix(column: str, size: int) -> Level:
    sql = (
        f'length("{column}_l") >= {size} AND length("{column}_r") >= {size} '
        f'AND left("{column}_l", {size}) = left("{column}_r", {size})'
    )

    def test(a, b):
        x, y = _v(a, column) or "", _v(b, column) or ""
        return len(x) >= size and len(y) >= size and x[:size] == y[:size]

    return Level(_PREFIX_LABELS[column][size], sql, test)


_PREFIX_LABELS = {
    "hukou_code": {
        6: gettext_noop("hukou in the same county"),
        4: gettext_noop("hukou in the same prefecture"),
        2: gettext_noop("hukou in the same province"),
    },
    "address_code": {
        6: gettext_noop("address in the same county"),
        4: gettext_noop("address in the same prefecture"),
        2: gettext_noop("address in the same province"),
    },
}


def _doc_one_edit_both_valid(a, b):
    return _edit("doc_std")(a, b) and bool(a.get("doc_valid")) and bool(b.get("doc_valid"))


BODY_SLIP_SQL = (
    '"doc_valid_l" AND "doc_valid_r" AND length("doc_std_l") = 18 AND length("doc_std_r") = 18 '
    'AND substr("doc_std_l", 15, 3) = substr("doc_std_r", 15, 3) '
    'AND damerau_levenshtein(left("doc_std_l", 14), left("doc_std_r", 14)) <= 1'
)


SIBLING_SQL = (
    'length("doc_std_l") = 18 AND length("doc_std_r") = 18 AND left("doc_std_l", 14) = left("doc_std_r", 14) '
    'AND substr("doc_std_l", 15, 3) <> substr("doc_std_r", 15, 3)'
)


def _sibling(a, b):
    x, y = _v(a, "doc_std"), _v(b, "doc_std")
    return bool(x and y and len(x) == len(y) == 18 and x[:14] == y[:14] and x[14:17] != y[14:17])


def _body_slip(a, b):
    x, y = _v(a, "doc_std"), _v(b, "doc_std")
    if not (x and y and a.get("doc_valid") and b.get("doc_valid") and len(x) == len(y) == 18):
        return False
    return x[14:17] == y[14:17] and one_edit(x[:14], y[:14])


def _given_one_char(a, b):
    if _v(a, "surname") is None or _v(a, "surname") != _v(b, "surname"):
        return False
    x, y = _v(a, "given") or "", _v(b, "given") or ""
    return len(x) == len(y) and sum(1 for p, q in zip(x, y, strict=True) if p != q) == 1


def _swapped(a, b):
    x, y = _v(a, "birth"), _v(b, "birth")
    if x is None or y is None:
        return False
    return x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7]


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "doc",
        "document number",
        ("doc_std", "doc_valid"),
        (
            _null("doc_std"),
            Level(gettext_noop("document number exact"), '"doc_std_l" = "doc_std_r"', _eq("doc_std")),
            Level(
                gettext_noop("document numbers differ in one character, both valid"),
                one_edit_sql("doc_std") + ' AND "doc_valid_l" AND "doc_valid_r"',
                _doc_one_edit_both_valid,
            ),
            Level(
                gettext_noop("document number one typo or transposition"),
                one_edit_sql("doc_std"),
                _edit("doc_std"),
            ),
            # A slip in the area or birth-date digits whose check digit was then made to fit (an entry form that
            # refuses a bad check digit invites it): both numbers valid, the sequence digits the same. Twins
            # differ exactly in the sequence digits, so they never land here. Rare in any training sample, so
            # m and u are fixed: one true pair in 200 carries such a slip; two people almost never do.
            Level(
                gettext_noop("document number one typo in the area or birth digits, check digit made to fit"),
                BODY_SLIP_SQL,
                _body_slip,
                extra={
                    "m_probability": 0.005,
                    "fix_m_probability": True,
                    "u_probability": 1e-9,
                    "fix_u_probability": True,
                },
            ),
            # Same area and birth digits, another sequence number, more than one slip apart: a sibling born the same
            # day in the same place (twins), whether or not one of the two numbers carries a typo of its own. The
            # other comparisons (surname, birth, hukou, phone) all agree for twins, and Fellegi-Sunter would add them
            # up as if independent; weighted like two different valid numbers instead (m and u fixed).
            Level(
                gettext_noop("document numbers of the same area and birth date with another sequence number"),
                SIBLING_SQL,
                _sibling,
                extra={
                    "m_probability": 1e-12,
                    "fix_m_probability": True,
                    "u_probability": 0.1,
                    "fix_u_probability": True,
                },
            ),
            # Two different numbers that both pass the check digit belong to two people (twins, relatives):
            # MOD 11-2 catches every single typo, so a clerk's slip does not end here.
            Level(
                gettext_noop("different valid document numbers"),
                '"doc_valid_l" AND "doc_valid_r"',
                lambda a, b: bool(a.get("doc_valid")) and bool(b.get("doc_valid")),
                # Fixed, not estimated: EM would let twins (same birth, hukou, phone) pull this towards a match.
                extra={"m_probability": 1e-12, "fix_m_probability": True},
            ),
            _else(gettext_noop("document number different")),
        ),
    ),
    Comparison(
        "name",
        "name",
        ("name_std", "name_pyk", "name_py_fuzzy", "surname", "given"),
        (
            _null("name_std"),
            Level(
                gettext_noop("name exact characters"),
                '"name_std_l" = "name_std_r"',
                _eq("name_std"),
                tf_column="name_std",
            ),
            Level(gettext_noop("same pinyin, different characters"), '"name_pyk_l" = "name_pyk_r"', _eq("name_pyk")),
            Level(
                gettext_noop("close pinyin (z-zh, c-ch, s-sh, n-l, -n/-ng)"),
                '"name_py_fuzzy_l" = "name_py_fuzzy_r"',
                _eq("name_py_fuzzy"),
            ),
            Level(
                gettext_noop("same surname, one given-name character different"),
                '"surname_l" = "surname_r" AND length(coalesce("given_l", \'\')) = length(coalesce("given_r", \'\')) '
                "AND CASE WHEN length(coalesce(\"given_l\", '')) = length(coalesce(\"given_r\", '')) "
                # Of equal length, one edit is one substitution: Levenshtein 1 is Hamming 1 (and Spark has it).
                "THEN levenshtein(coalesce(\"given_l\", ''), coalesce(\"given_r\", '')) = 1 ELSE false END",
                _given_one_char,
            ),
            Level(
                gettext_noop("pinyin one letter different"),
                one_edit_sql("name_pyk"),
                _edit("name_pyk"),
            ),
            _else(gettext_noop("name different")),
        ),
    ),
    Comparison(
        "birth",
        "birth date",
        ("birth",),
        (
            _null("birth"),
            Level(gettext_noop("birth date exact"), '"birth_l" = "birth_r"', _eq("birth")),
            Level(
                gettext_noop("birth date month and day swapped"),
                'left("birth_l", 4) = left("birth_r", 4) AND substr("birth_l", 6, 2) = substr("birth_r", 9, 2) '
                'AND substr("birth_l", 9, 2) = substr("birth_r", 6, 2)',
                _swapped,
            ),
            Level(
                gettext_noop("birth date one typo"),
                one_edit_sql("birth", 10),
                _edit("birth"),
            ),
            _else(gettext_noop("birth date different")),
        ),
    ),
    Comparison(
        "sex",
        "sex",
        ("sex",),
        (
            _null("sex"),
            Level(gettext_noop("same sex"), '"sex_l" = "sex_r"', _eq("sex")),
            _else(gettext_noop("different sex")),
        ),
    ),
    Comparison(
        "phone",
        "phone",
        ("phone_std",),
        (
            _null("phone_std"),
            # Term-frequency adjusted: a phone many records share (a landlord's, a factory's) says little.
            Level(gettext_noop("same phone"), '"phone_std_l" = "phone_std_r"', _eq("phone_std"), tf_column="phone_std"),
            _else(gettext_noop("different phone")),
        ),
    ),
    Comparison(
        "hukou",
        "hukou area",
        ("hukou_code",),
        (
            _null("hukou_code"),
            Level(gettext_noop("same hukou area"), '"hukou_code_l" = "hukou_code_r"', _eq("hukou_code")),
            _prefix("hukou_code", 4),
            _prefix("hukou_code", 2),
            _else(gettext_noop("hukou in another province")),
        ),
    ),
    Comparison(
        "address",
        "address",
        ("address_code",),
        (
            _null("address_code"),
            _prefix("address_code", 6),
            _prefix("address_code", 4),
            _prefix("address_code", 2),
            _else(gettext_noop("address in another province")),
        ),
    ),
    Comparison(
        "nationality",
        "nationality and passport",
        ("nationality", "passport"),
        (
            _null("nationality"),
            Level(
                gettext_noop("same nationality and passport number"),
                '"nationality_l" = "nationality_r" AND "passport_l" = "passport_r"',
                lambda a, b: (
                    _v(a, "nationality") == _v(b, "nationality")
                    and _v(a, "passport") is not None
                    and _v(a, "passport") == _v(b, "passport")
                ),
            ),
            Level(gettext_noop("same nationality"), '"nationality_l" = "nationality_r"', _eq("nationality")),
            _else(gettext_noop("different nationality")),
        ),
    ),
)

# Pairs Splink scores: any one rule admits a pair. The doc-number halves catch a typo in the other half.
BLOCKING_RULES = (
    'l."doc_std" = r."doc_std"',
    'l."name_py_fuzzy" = r."name_py_fuzzy" AND l."birth" = r."birth"',
    'left(l."doc_std", 14) = left(r."doc_std", 14) AND l."surname" = r."surname"',
    'right(l."doc_std", 8) = right(r."doc_std", 8) AND l."name_py_fuzzy" = r."name_py_fuzzy"',
    'l."phone_std" = r."phone_std" AND l."name_py_fuzzy" = r."name_py_fuzzy"',
    'l."name_std" = r."name_std" AND left(l."birth", 4) = left(r."birth", 4) AND l."hukou_code" = r."hukou_code"',
    'l."name_py_fuzzy" = r."name_py_fuzzy" AND l."hukou_code" = r."hukou_code"',
    'l."name_py_fuzzy" = r."name_py_fuzzy" AND l."address_code" = r."address_code"',
)

# Deterministic rules that admit almost no false matches, for estimating how often two records match.
DETERMINISTIC_RULES = (
    'l."doc_std" = r."doc_std" AND l."name_py_fuzzy" = r."name_py_fuzzy"',
    'l."name_py_fuzzy" = r."name_py_fuzzy" AND l."birth" = r."birth" AND l."phone_std" = r."phone_std"',
)

# EM sessions: each blocks on some columns and so estimates the m values of the others.
TRAINING_BLOCKS = (
    'l."doc_std" = r."doc_std"',
    'l."name_py_fuzzy" = r."name_py_fuzzy" AND l."birth" = r."birth"',
)
