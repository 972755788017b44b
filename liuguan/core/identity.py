"""Identity documents: normalise, validate and mask citizen IDs, permits, passports, credit codes, mobiles.

Pure Python: nothing here needs Django settings. Messages are English templates marked for translation;
`DocumentError.message` renders them in the active language once Django is set up, in English before.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DOCUMENT_TYPES = ("citizen_id", "hmt_resident", "foreign_pr", "passport")

# The standard's own example (440524188001010014) was born in 1880.
EARLIEST_BIRTH_DATE = dt.date(1850, 1, 1)

# GB/T 2260 province codes, plus 83 for Taiwan residents' residence permits (State Council 2018 No. 81).
PROVINCE_CODES = frozenset(
    str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66))
) | {"71", "81", "82", "83"}
HMT_AREA_CODES = frozenset({"810000", "820000", "830000"})

_MOD11_2_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_MOD11_2_CHECK = "10X98765432"

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_AREA_CODES_FILE = Path(__file__).with_name("data") / "area_codes.txt.gz"
# GB/T 2260 has Taiwan, Hong Kong and Macao, the statistical list behind the data file does not;
# 830000 is the Taiwan residents' permit code.
_EXTRA_AREA_CODES = frozenset({"710000", "810000", "820000", "830000"})

# NFKC already turns the full-width hyphen into "-"; these dashes have no compatibility mapping.
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def gettext_noop(message: str) -> str:
    # Marks text for makemessages (its xgettext call knows this name). Django's own gettext_noop reads settings,
    # and the English source must stay usable without them; translation happens when a message is read.
    return message


_MESSAGES = {
    "gb11643.length": gettext_noop(
        "A citizen ID number has 18 characters (GB 11643-1999) or 15 digits (GB 11643-1989); this one has %(length)d"
    ),
    "gb11643.format": gettext_noop(
        'Character %(position)d is "%(char)s"; a citizen ID number is 17 digits followed by a digit or X '
        "(GB 11643-1999)"
    ),
    "gb11643.province": gettext_noop(
        "%(province)s is not a province code (GB/T 2260), so this is not a citizen ID number"
    ),
    "gb11643.birth_date": gettext_noop(
        "%(digits)s is not a real date of birth (GB 11643-1999, characters 7-14 are YYYYMMDD)"
    ),
    "gb11643.birth_date_future": gettext_noop(
        "Date of birth %(date)s is in the future (GB 11643-1999, characters 7-14)"
    ),
    "gb11643.birth_date_early": gettext_noop(
        "Date of birth %(date)s is before %(earliest)s (GB 11643-1999, characters 7-14)"
    ),
    "gb11643.check_digit": gettext_noop(
        "Check digit is %(expected)s but the number ends in %(actual)s (GB 11643-1999, ISO 7064 MOD 11-2)"
    ),
    "hmt.length": gettext_noop(
        "A residence permit number for Hong Kong, Macao and Taiwan residents has 18 characters; this one has %(length)d"
    ),
    "hmt.area_code": gettext_noop(
        "A residence permit number for Hong Kong, Macao and Taiwan residents begins 810000, 820000 or 830000 "
        "(State Council General Office 2018 No. 81); this one begins %(area_code)s"
    ),
    "foreign_pr.length": gettext_noop(
        "A foreigner's permanent residence ID has 15 characters (2017 card) or 18 (2023 card); this one has %(length)d"
    ),
    "foreign_pr.format": gettext_noop(
        "A foreigner's permanent residence ID is three letters and 12 digits (2017 card), or 9, 16 digits "
        "and a digit or X (2023 card)"
    ),
    "foreign_pr.check_digit": gettext_noop(
        "Check digit is %(expected)s but the number ends in %(actual)s (2023 permanent residence ID, ISO 7064 MOD 11-2)"
    ),
    "passport.length": gettext_noop("A passport number has 5 to 20 letters and digits; this one has %(length)d"),
    "passport.format": gettext_noop(
        'Character %(position)d is "%(char)s"; a passport number has only letters A-Z and digits'
    ),
    "passport.repeated": gettext_noop("A passport number cannot be a single character repeated"),
    "document.type": gettext_noop("Unknown document type %(doc_type)s; expected one of %(choices)s"),
    "gb32100.length": gettext_noop(
        "A unified social credit code has 18 characters (GB 32100-2015); this one has %(length)d"
    ),
    "gb32100.char": gettext_noop(
        'Character %(position)d is "%(char)s", which unified social credit codes do not use '
        "(GB 32100-2015: digits and capital letters except I, O, S, V and Z)"
    ),
    "gb32100.check_char": gettext_noop(
        "Check character is %(expected)s but the code ends in %(actual)s (GB 32100-2015)"
    ),
    "mobile.format": gettext_noop("A mainland mobile number is 11 digits beginning 13 to 19, optionally after +86"),
    # Warnings: the number is accepted, the record may deserve a second look.
    "gb11643.area_code_unknown": gettext_noop(
        "The area code is not a 2023 division code; codes of abolished divisions stay valid in ID numbers"
    ),
    "gb11643.converted_from_15": gettext_noop(
        "Converted from the 15-digit form (GB 11643-1989) by adding 19 to the year and a check digit"
    ),
}


def rule_message(rule: str, params: dict | None = None) -> str:
    """Render a rule or warning code as a sentence: in the active language once Django is set up, else English."""
    template = _MESSAGES[rule]
    from django.apps import apps
    from django.conf import settings

    if settings.configured and apps.ready:
        from django.utils.translation import gettext

        template = gettext(template)
    return template % (params or {})


class DocumentError(ValueError):
    """A document number broke a rule: `field` names the input, `rule` is the code, `message` the sentence."""

    def __init__(self, field: str, rule: str, params: dict | None = None):
        self.field = field
        self.rule = rule
        self.params = params or {}
        # Positional args keep the exception picklable (task runners store them).
        super().__init__(field, rule, self.params)

    @property
    def template(self) -> str:
        return _MESSAGES[self.rule]

    @property
    def message(self) -> str:
        return rule_message(self.rule, self.params)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CitizenId:
    number: str
    area_code: str
    birth_date: dt.date
    sex: str  # "M" or "F": an odd 17th digit is a man
    warnings: tuple[str, ...] = ()  # codes; rule_message(code) renders them


@dataclass(frozen=True)
class ForeignPrId:
    number: str
    form: str  # "2017" or "2023"
    nationality: str | None = None  # ISO 3166-1 alpha-3, printed only in the 2017 form


@dataclass(frozen=True)
class ParsedDocument:
    number: str
    birth_date: dt.date | None = None
    sex: str | None = None
    area_code: str | None = None
    warnings: tuple[str, ...] = ()


@functools.cache
def _known_area_codes() -> frozenset[str]:
    with gzip.open(_AREA_CODES_FILE, "rt", encoding="ascii") as lines:
        return frozenset(line.strip() for line in lines if line.strip()) | _EXTRA_AREA_CODES


def __getattr__(name: str):
    # KNOWN_AREA_CODES is read on first use, so importing this module never touches the file system.
    if name == "KNOWN_AREA_CODES":
        return _known_area_codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Every Unicode space (the last is U+3000, the ideographic space) and every dash, as a str.translate table.
_STRIPPED = {cp: None for cp in range(0x3001) if chr(cp).isspace()} | {ord(ch): None for ch in _DASHES}


def normalize_document_number(raw: str) -> str:
    """Full-width characters become ASCII (NFKC), spaces and hyphens go, letters are upper-cased.

    Repeated until nothing changes (at most a few rounds): NFKC can leave a combining mark beside a space it then
    loses ("R¸" is R, a space and a cedilla), and the next NFKC would join the mark to the letter; a normalised
    number must normalise to itself, or a number stored and the same number looked up would differ.
    """
    text = raw or ""
    for _ in range(4):
        done = unicodedata.normalize("NFKC", text).translate(_STRIPPED).upper()
        if done == text:
            break
        text = done
    return text


def mod11_2_check(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of 17 digits, as GB 11643-1999 uses it."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _MOD11_2_WEIGHTS, strict=True))
    return _MOD11_2_CHECK[total % 11]


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def china_today() -> dt.date:
    """Today in China (UTC+8, one time zone, no daylight saving), whatever the server's clock zone.

    A UTC server must not call today's newborns future. Arithmetic on the epoch clock: validation asks for each
    row, and a time-zone-aware datetime costs ten times more.
    """
    return dt.date.fromordinal(_EPOCH_ORDINAL + int((time.time() + 8 * 3600) // 86400))


def _first_bad_char(text: str, allowed: str) -> int | None:
    for index, ch in enumerate(text):
        if ch not in allowed:
            return index
    return None


_DIGITS = "0123456789"


def _parse_gb11643(number: str, *, field: str, today: dt.date | None, length_rule: str) -> CitizenId:
    if len(number) != 18:
        raise DocumentError(field, length_rule, {"length": len(number)})
    bad = _first_bad_char(number[:17], _DIGITS)
    if bad is None and number[17] not in _DIGITS + "X":
        bad = 17
    if bad is not None:
        raise DocumentError(field, "gb11643.format", {"position": bad + 1, "char": number[bad]})
    if number[:2] not in PROVINCE_CODES:
        raise DocumentError(field, "gb11643.province", {"province": number[:2]})
    digits = number[6:14]
    try:
        birth_date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise DocumentError(field, "gb11643.birth_date", {"digits": digits}) from None
    if birth_date > (today or china_today()):
        raise DocumentError(field, "gb11643.birth_date_future", {"date": birth_date.isoformat()})
    if birth_date < EARLIEST_BIRTH_DATE:
        earliest = EARLIEST_BIRTH_DATE.isoformat()
        raise DocumentError(field, "gb11643.birth_date_early", {"date": birth_date.isoformat(), "earliest": earliest})
    expected = mod11_2_check(number[:17])
    if number[17] != expected:
        raise DocumentError(field, "gb11643.check_digit", {"expected": expected, "actual": number[17]})
    area_code = number[:6]
    warnings = () if area_code in _known_area_codes() else ("gb11643.area_code_unknown",)
    return CitizenId(
        number=number,
        area_code=area_code,
        birth_date=birth_date,
        sex="M" if int(number[16]) % 2 else "F",
        warnings=warnings,
    )


def parse_citizen_id(raw: str, *, today: dt.date | None = None, field: str = "doc_number") -> CitizenId:
    """GB 11643-1999: real province, real birth date (1850 to today), MOD 11-2 check; 15-digit numbers are converted."""
    number = normalize_document_number(raw)
    converted = len(number) == 15
    if converted:
        bad = _first_bad_char(number, _DIGITS)
        if bad is not None:
            raise DocumentError(field, "gb11643.format", {"position": bad + 1, "char": number[bad]})
        # GB 11643-1989 numbers were issued only to people born in the 1900s.
        body = number[:6] + "19" + number[6:]
        number = body + mod11_2_check(body)
    citizen = _parse_gb11643(number, field=field, today=today, length_rule="gb11643.length")
    if converted:
        return CitizenId(
            number=citizen.number,
            area_code=citizen.area_code,
            birth_date=citizen.birth_date,
            sex=citizen.sex,
            warnings=(*citizen.warnings, "gb11643.converted_from_15"),
        )
    return citizen


def parse_hmt_resident_id(raw: str, *, today: dt.date | None = None, field: str = "doc_number") -> CitizenId:
    """Hong Kong, Macao and Taiwan residents' permit numbers: GB 11643 layout with area code 810000/820000/830000."""
    number = normalize_document_number(raw)
    citizen = _parse_gb11643(number, field=field, today=today, length_rule="hmt.length")
    if citizen.area_code not in HMT_AREA_CODES:
        raise DocumentError(field, "hmt.area_code", {"area_code": citizen.area_code})
    return citizen


_FOREIGN_PR_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")
_FOREIGN_PR_2023 = re.compile(r"9[0-9]{16}[0-9X]")


def parse_foreign_pr_id(raw: str, *, field: str = "doc_number") -> ForeignPrId:
    """Foreigners' permanent residence ID: 2017 card 3 letters + 12 digits; 2023 card 9 + 17, MOD 11-2 check."""
    # Only the lengths, the nationality letters of the 2017 card, the leading 9 and the check of the 2023
    # card are official (REFERENCES.md); the fields inside come from third-party code and are unverified,
    # so no birth date or sex is read out of them.
    number = normalize_document_number(raw)
    if len(number) == 15:
        if not _FOREIGN_PR_2017.fullmatch(number):
            raise DocumentError(field, "foreign_pr.format")
        return ForeignPrId(number=number, form="2017", nationality=number[:3])
    if len(number) == 18:
        if not _FOREIGN_PR_2023.fullmatch(number):
            raise DocumentError(field, "foreign_pr.format")
        expected = mod11_2_check(number[:17])
        if number[17] != expected:
            raise DocumentError(field, "foreign_pr.check_digit", {"expected": expected, "actual": number[17]})
        return ForeignPrId(number=number, form="2023")
    raise DocumentError(field, "foreign_pr.length", {"length": len(number)})


_PASSPORT_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def parse_passport(raw: str, *, field: str = "doc_number") -> str:
    """Passport numbers: 5-20 letters and digits (national numbers vary beyond ICAO 9303's nine), not one repeated."""
    number = normalize_document_number(raw)
    if not 5 <= len(number) <= 20:
        raise DocumentError(field, "passport.length", {"length": len(number)})
    bad = _first_bad_char(number, _PASSPORT_CHARS)
    if bad is not None:
        raise DocumentError(field, "passport.format", {"position": bad + 1, "char": number[bad]})
    if len(set(number)) == 1:
        raise DocumentError(field, "passport.repeated")
    return number


def parse_document(
    doc_type: str, raw: str, *, today: dt.date | None = None, field: str = "doc_number"
) -> ParsedDocument:
    """Validate a number by its document type (one of DOCUMENT_TYPES) and return what the number itself says."""
    if doc_type in ("citizen_id", "hmt_resident"):
        parse = parse_citizen_id if doc_type == "citizen_id" else parse_hmt_resident_id
        citizen = parse(raw, today=today, field=field)
        return ParsedDocument(
            number=citizen.number,
            birth_date=citizen.birth_date,
            sex=citizen.sex,
            area_code=citizen.area_code,
            warnings=citizen.warnings,
        )
    if doc_type == "foreign_pr":
        return ParsedDocument(number=parse_foreign_pr_id(raw, field=field).number)
    if doc_type == "passport":
        return ParsedDocument(number=parse_passport(raw, field=field))
    raise DocumentError("doc_type", "document.type", {"doc_type": doc_type, "choices": ", ".join(DOCUMENT_TYPES)})


def credit_code_check(body: str) -> str:
    """GB 32100-2015 check character of 17 code characters: 31 - (weighted sum mod 31), with 31 meaning 0."""
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * weight for ch, weight in zip(body, _CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(raw: str, *, field: str = "credit_code") -> str:
    """Unified social credit code, GB 32100-2015: 18 characters without I, O, S, V, Z, and a mod-31 check."""
    code = normalize_document_number(raw)
    if len(code) != 18:
        raise DocumentError(field, "gb32100.length", {"length": len(code)})
    bad = _first_bad_char(code, CREDIT_CODE_ALPHABET)
    if bad is not None:
        raise DocumentError(field, "gb32100.char", {"position": bad + 1, "char": code[bad]})
    expected = credit_code_check(code[:17])
    if code[17] != expected:
        raise DocumentError(field, "gb32100.check_char", {"expected": expected, "actual": code[17]})
    return code


_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def validate_mobile(raw: str, *, field: str = "phone") -> str:
    """Mainland mobile: 11 digits from 13-19, after an optional +86, 0086 or 86; returns the 11 digits."""
    number = normalize_document_number(raw)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
            break
    else:
        # A bare 86 counts as the country code only when what follows is a whole number.
        if len(number) == 13 and number.startswith("86"):
            number = number[2:]
    if not _MOBILE.fullmatch(number):
        raise DocumentError(field, "mobile.format")
    return number


def _mask_middle(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]


def mask_document_number(number: str) -> str:
    """18-character numbers keep the area code and the last four (510104********123X); others the ends, 2 each."""
    if len(number) == 18:
        return _mask_middle(number, 6, 4)
    return _mask_middle(number, 2, 2)


def mask_phone(phone: str) -> str:
    """Mobiles keep the first three and the last four digits (138****5678); other numbers two at each end."""
    if len(phone) == 11:
        return _mask_middle(phone, 3, 4)
    return _mask_middle(phone, 2, 2)


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f" or "\uf900" <= ch <= "\ufaff"


def mask_name(name: str) -> str:
    """Chinese names keep the surname's first character (张**); Latin names the first letter of each word."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if any(_is_han(ch) for ch in name):
        # Separators such as the middle dot of transliterated names stay, so the shape still reads as a name.
        return name[0] + "".join(ch if ch in " ·•・" else "*" for ch in name[1:])
    masked = []
    word_start = True
    for ch in name:
        if ch.isalpha():
            masked.append(ch if word_start else "*")
            word_start = False
        else:
            masked.append(ch)
            word_start = True
    return "".join(masked)
