"""Reading one cell as what people meant: Chinese labels as codes, the date forms they type, ID numbers Excel mangled.

These turn text into the values the registry's checks expect; they do not judge the values (person_check and
stay_check do). What cannot be read safely raises CellError with a rule and a sentence.
"""

import datetime as dt
import functools
import re
import unicodedata

from django.utils.translation import gettext_lazy as _
from openpyxl.utils.datetime import from_excel

from liuguan.registry.codes import ETHNICITIES


class CellError(ValueError):
    """A cell that cannot be read safely: `rule` is the code, `message` the sentence for people."""

    def __init__(self, rule: str, message):
        super().__init__(rule)
        self.rule = rule
        self.message = message


# Excel stores numbers as IEEE doubles and shows at most 15 significant digits.
EXCEL_DIGITS = 15
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?e[+-]?\d+$", re.IGNORECASE)
_INTEGER_WITH_ZERO_FRACTION = re.compile(r"^(\d+)\.0+$")
_EXCEL_PRECISION = _(
    "Excel keeps only 15 significant digits of a number, so an 18-digit ID number stored as a number has lost "
    "its last digits. Format the column as text and type the numbers again."
)


def _key(value) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).lower()


def text(value) -> str:
    """Any cell as trimmed text; whole numbers without a trailing .0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def document_number(value) -> str:
    """An ID number as text, recovered where that is safe; numbers longer than Excel's 15 digits are refused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError("import.doc_number_format", _("An ID number cannot be a yes/no value"))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            raise CellError("excel.number_precision", _EXCEL_PRECISION)
        digits = str(abs(int(value)))
        if len(digits) > EXCEL_DIGITS:
            raise CellError("excel.number_precision", _EXCEL_PRECISION)
        return digits
    raw = unicodedata.normalize("NFKC", str(value)).strip().lstrip("'").strip()
    if _SCIENTIFIC.match(raw):
        raise CellError(
            "excel.scientific_notation",
            _(
                "This ID number was saved in scientific notation (like 5.10104E+17): Excel keeps only 15 "
                "significant digits, so its last digits are lost. Format the column as text and type the "
                "numbers again."
            ),
        )
    whole = _INTEGER_WITH_ZERO_FRACTION.match(raw)
    if whole:
        # "510104900307123.0" is a number that went through a float: exact up to 15 digits, not beyond.
        if len(whole.group(1)) > EXCEL_DIGITS:
            raise CellError("excel.number_precision", _EXCEL_PRECISION)
        return whole.group(1)
    return raw


def phone(value) -> str:
    """A phone number typed into a number cell is exact (11 digits); in scientific notation it is not."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return text(value)
    raw = text(value).lstrip("'")
    if _SCIENTIFIC.match(raw):
        raise CellError(
            "excel.scientific_notation",
            _("This number was saved in scientific notation, which loses digits. Format the column as text."),
        )
    whole = _INTEGER_WITH_ZERO_FRACTION.match(raw)
    return whole.group(1) if whole else raw


_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Serial numbers from 1 (1900-01-01) to 2958465 (9999-12-31) in Excel's 1900 date system.
_SERIAL_MAX = 2958465


def _bad_date(value):
    return CellError(
        "import.date_format",
        _("Cannot read “%(value)s” as a date; write it like 2025-03-01, 2025/3/1, 20250301 or 2025年3月1日")
        % {"value": value},
    )


def _from_serial(number: float) -> dt.date:
    return from_excel(int(number)).date()


@functools.lru_cache(maxsize=1 << 14)
def _date_from_text(raw: str) -> dt.date:
    folded = unicodedata.normalize("NFKC", raw).strip().lstrip("'")
    match = _DATE.match(folded) or _DATE_COMPACT.match(folded)
    try:
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        whole = _INTEGER_WITH_ZERO_FRACTION.match(folded)
        number = whole.group(1) if whole else folded
        if number.isdigit() and 1 <= int(number) <= _SERIAL_MAX and len(number) <= 7:
            return _from_serial(int(number))
    except ValueError:
        pass
    raise _bad_date(raw)


def date(value) -> dt.date | None:
    """A date from a date cell, an Excel serial number, or the forms people type; empty is None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19000101 <= value <= 99991231 and float(value).is_integer():
            return _date_from_text(str(int(value)))
        if 1 <= value <= _SERIAL_MAX:
            return _from_serial(value)
        raise _bad_date(value)
    raw = str(value).strip()
    return _date_from_text(raw) if raw else None


def _table(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    # Keys are folded (see _key); the labels as written are keys too, so the common case is one look-up.
    table = {}
    for code, labels in pairs.items():
        for label in (code, *labels):
            table[_key(label)] = code
            table[label] = code
    return table


DOC_TYPES = _table(
    {
        "citizen_id": ("居民身份证", "身份证", "二代身份证", "公民身份证", "公民身份号码", "111"),
        "hmt_resident": ("港澳台居民居住证", "港澳居民居住证", "台湾居民居住证", "港澳台居住证"),
        "foreign_pr": ("外国人永久居留身份证", "外国人永久居留证", "永久居留身份证", "永久居留证"),
        "passport": ("护照", "普通护照", "414"),
    }
)
SEXES = _table({"M": ("男", "男性", "1", "male"), "F": ("女", "女性", "2", "female")})
ETHNICITY_CODES = _table(
    {
        code: (name, str(int(code)), *((name[:-1],) if name.endswith("族") and len(name) >= 2 else ()))
        for code, name in ETHNICITIES
    }
)
NATIONALITIES = _table(
    {
        "CHN": ("中国", "中华人民共和国", "156"),
        "USA": ("美国",),
        "GBR": ("英国",),
        "FRA": ("法国",),
        "DEU": ("德国",),
        "RUS": ("俄罗斯",),
        "JPN": ("日本",),
        "KOR": ("韩国",),
        "VNM": ("越南",),
        "MMR": ("缅甸",),
        "LAO": ("老挝",),
        "THA": ("泰国",),
        "PAK": ("巴基斯坦",),
        "IND": ("印度",),
        "NPL": ("尼泊尔",),
        "CAN": ("加拿大",),
        "AUS": ("澳大利亚",),
        "SGP": ("新加坡",),
        "MYS": ("马来西亚",),
        "ITA": ("意大利",),
    }
)
EDUCATION = _table(
    {
        "10": ("研究生", "博士", "硕士", "研究生及以上"),
        "20": ("大学本科", "本科"),
        "30": ("大学专科", "大专", "专科"),
        "40": ("中等专科", "中专", "中技", "技校", "职高", "中等职业教育"),
        "60": ("高中", "普通高中", "普通高级中学"),
        "70": ("初中", "初级中学"),
        "80": ("小学",),
        "90": ("文盲", "半文盲", "文盲或半文盲", "未上过学", "不识字"),
    }
)
MARITAL = _table(
    {
        "10": ("未婚",),
        "20": ("已婚", "初婚", "再婚", "复婚", "有配偶"),
        "30": ("丧偶",),
        "40": ("离婚",),
        "90": ("未说明", "不详", "未说明的婚姻状况"),
    }
)
REASONS = _table(
    {
        "work": ("务工", "打工", "务工就业", "就业"),
        "business": ("经商", "经商办企业"),
        "study": ("就学", "上学", "学习", "求学", "培训"),
        "family": ("投靠亲属", "投亲靠友", "投亲", "随迁", "随迁家属"),
        "marriage": ("婚嫁",),
        "medical": ("就医", "看病"),
        "other": ("其他", "其它"),
    }
)


def choice(value, table: dict[str, str], *, default: str = "") -> str:
    """A label or code looked up in `table`; an unknown value comes back as typed, for the checks to refuse."""
    hit = table.get(value) if isinstance(value, str) else None
    if hit is not None:
        return hit
    raw = text(value)
    if not raw:
        return default
    return table.get(_key(raw), raw)


def ethnicity(value) -> str:
    """汉族, 汉 or the GB 3304 code (01, or 1 after Excel dropped the zero)."""
    return choice(value, ETHNICITY_CODES, default="01")


class CommunityNames:
    """Community names inside scope, so a sheet can say 东御河沿社区 where it lacks the 12-digit code."""

    def __init__(self, pairs):
        self.codes: dict[str, list[str]] = {}
        for code, name in pairs:
            self.codes.setdefault(_key(name), []).append(code)


def community(value, names: CommunityNames | None = None) -> str:
    """A 12-digit code (exact as an Excel number), or a name that is unique inside the importer's scope."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return text(value)
    raw = unicodedata.normalize("NFKC", text(value)).lstrip("'").strip()
    if _SCIENTIFIC.match(raw):
        raise CellError(
            "excel.scientific_notation",
            _("This code was saved in scientific notation, which loses digits. Format the column as text."),
        )
    whole = _INTEGER_WITH_ZERO_FRACTION.match(raw)
    if whole:
        return whole.group(1)
    digits = raw.replace(" ", "")
    if digits.isdigit() or names is None:
        return digits
    found = names.codes.get(_key(raw), [])
    if len(found) > 1:
        raise CellError(
            "import.community_ambiguous",
            _("%(count)d communities in your jurisdiction are called “%(name)s”; give the 12-digit code")
            % {"count": len(found), "name": raw},
        )
    return found[0] if found else raw
