"""Standardise person records for linkage: ID numbers, names, dates, phones and places in one comparable form.

Vectorised: the per-row work is DuckDB SQL over the whole table; Python only works once per distinct name,
nationality or document type (names repeat, and a million records hold far fewer distinct ones). Missing or
unreadable values come out as nulls, so "unknown" never compares equal to "unknown".

Input columns (`INPUT_COLUMNS`, strings, any may be empty): record_id (required), source, doc_type, doc_number,
name (required), sex, birth_date ('YYYY-MM-DD'; 'YYYYMMDD', 'YYYY/MM/DD' and '1990年1月2日' are read too), phone,
hukou (a division code or a place name), address, nationality. Absent optional columns count as empty.
"""

from __future__ import annotations

import collections
import csv
import functools
import gc
import re
import threading
import unicodedata
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

INPUT_COLUMNS = (
    "record_id",
    "source",
    "doc_type",
    "doc_number",
    "name",
    "sex",
    "birth_date",
    "phone",
    "hukou",
    "address",
    "nationality",
)
REQUIRED_COLUMNS = ("record_id", "name")
OUTPUT_COLUMNS = (
    "record_id",
    "source",
    "doc_type_std",
    "doc_std",
    "doc_valid",
    "doc_birth",
    "doc_sex",
    "doc_area",
    "doc_conflict",
    "name_std",
    "surname",
    "given",
    "name_py",
    "name_py_fuzzy",
    "birth",
    "sex",
    "phone_std",
    "hukou_code",
    "address_code",
    "nationality",
    "passport",
)

DATA_DIR = Path(__file__).resolve().parent / "data"

# Full-width forms and the ideographic space, to their ASCII forms (NFKC for the characters IDs and phones use).
_FULL = "".join(chr(0xFF10 + i) for i in range(10)) + "".join(chr(0xFF21 + i) for i in range(26))
_FULL += "".join(chr(0xFF41 + i) for i in range(26)) + "\uff0b\uff0d\u3000\uff08\uff09"
_HALF = "0123456789" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz" + "+- ()"

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

_DOC_TYPES = {
    "citizen_id": "citizen_id",
    "id": "citizen_id",
    "id_card": "citizen_id",
    "idcard": "citizen_id",
    "1": "citizen_id",
    "身份证": "citizen_id",
    "居民身份证": "citizen_id",
    "hmt_resident": "hmt_resident",
    "港澳台居民居住证": "hmt_resident",
    "foreign_pr": "foreign_pr",
    "外国人永久居留身份证": "foreign_pr",
    "passport": "passport",
    "护照": "passport",
}

_NATIONALITIES = {
    "CHN": "CHN", "CN": "CHN", "CHINA": "CHN", "PRC": "CHN", "中国": "CHN", "中华人民共和国": "CHN",
    "USA": "USA", "US": "USA", "美国": "USA", "GBR": "GBR", "GB": "GBR", "UK": "GBR", "英国": "GBR",
    "JPN": "JPN", "JP": "JPN", "日本": "JPN", "KOR": "KOR", "KR": "KOR", "韩国": "KOR", "PRK": "PRK", "朝鲜": "PRK",
    "VNM": "VNM", "VN": "VNM", "越南": "VNM", "MMR": "MMR", "MM": "MMR", "缅甸": "MMR", "LAO": "LAO", "LA": "LAO",
    "老挝": "LAO", "RUS": "RUS", "RU": "RUS", "俄罗斯": "RUS", "FRA": "FRA", "FR": "FRA", "法国": "FRA",
    "DEU": "DEU", "DE": "DEU", "德国": "DEU", "THA": "THA", "TH": "THA", "泰国": "THA", "MNG": "MNG", "MN": "MNG",
    "蒙古": "MNG", "PAK": "PAK", "PK": "PAK", "巴基斯坦": "PAK", "IND": "IND", "IN": "IND", "印度": "IND",
    "CAN": "CAN", "CA": "CAN", "加拿大": "CAN", "AUS": "AUS", "AU": "AUS", "澳大利亚": "AUS", "PHL": "PHL",
    "PH": "PHL", "菲律宾": "PHL", "MYS": "MYS", "MY": "MYS", "马来西亚": "MYS", "SGP": "SGP", "SG": "SGP",
    "新加坡": "SGP", "IDN": "IDN", "ID": "IDN", "印度尼西亚": "IDN", "NGA": "NGA", "NG": "NGA", "尼日利亚": "NGA",
    "KAZ": "KAZ", "KZ": "KAZ", "哈萨克斯坦": "KAZ", "NPL": "NPL", "NP": "NPL", "尼泊尔": "NPL",
}  # fmt: skip

# Middle dots of transliterated names (阿卜杜拉·买买提) come in many code points; one form compares equal.
_DOTS = re.compile(r"\s*[·•・‧∙⋅．.\u00b7\u2022\u30fb\u2027\u2219\u22c5\uff0e]\s*")
_SPACE = re.compile(r"\s+")
_LATIN = re.compile(r"[a-z]+")

# Folds that southern speakers and clerks confuse: zh/z, ch/c, sh/s, n/l, -ng/-n.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0003134f"


@functools.cache
def _surnames() -> tuple[dict[str, str], dict[str, str]]:
    """(single-character surname readings, compound surnames with their readings) from data/surnames.csv."""
    single, compound = {}, {}
    with open(DATA_DIR / "surnames.csv", encoding="utf-8") as rows:
        for row in csv.reader(line for line in rows if line.strip() and not line.startswith("#")):
            (compound if len(row[0]) == 2 else single)[row[0]] = row[1].strip()
    return single, compound


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@functools.cache
def _lazy_pinyin():
    from pypinyin import Style, lazy_pinyin

    return functools.partial(lazy_pinyin, style=Style.NORMAL, v_to_u=False, neutral_tone_with_five=False)


@functools.lru_cache(maxsize=1 << 16)
def _char_pinyin(ch: str) -> str:
    # One character at a time: a name is not a phrase, and both records of a person must read alike.
    reading = _lazy_pinyin()(ch)
    return reading[0].lower() if reading and reading[0].isascii() and reading[0].isalpha() else ""


@functools.cache
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (ü written v), to tell a pinyin name from a foreign one."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = unicodedata.normalize("NFKD", reading.replace("ü", "v"))
            plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
            if plain.isascii() and plain.isalpha():
                found.add(plain.lower())
    return frozenset(found - {"m", "n", "ng", "hm", "hng"})


@functools.lru_cache(maxsize=1 << 16)
def _segment(token: str) -> tuple[str, ...] | None:
    """Split run-together pinyin into syllables (zhangsan: zhang san), fewest syllables first; None if not pinyin."""
    syllables = _syllables()
    best: list[list[str] | None] = [None] * (len(token) + 1)
    best[0] = []
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            if head is not None and token[start:end] in syllables:
                candidate = [*head, token[start:end]]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    found = best[len(token)]
    return None if found is None else tuple(found)


@functools.lru_cache(maxsize=4096)
def _fold(syllable: str) -> str:
    for long, short in _FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FUZZY_FINALS:
        if syllable.endswith(long):
            syllable = syllable[: -len(long)] + short
            break
    return syllable


def _latin_tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.lower().replace("ü", "v"))
    return _LATIN.findall("".join(ch for ch in text if not unicodedata.combining(ch)))


_PLAIN_HAN = re.compile(r"[\u4e00-\u9fff]{2,6}")
_READINGS: dict[str, tuple[str, str]] = {}


def _reading(ch: str) -> tuple[str, str]:
    """(pinyin, folded pinyin) of one character, remembered: a million names use a few thousand characters."""
    found = _READINGS.get(ch)
    if found is None:
        syllable = _char_pinyin(ch)
        found = _READINGS[ch] = (syllable, _fold(syllable) if syllable else "")
    return found


@functools.lru_cache(maxsize=1 << 18)
def _given_readings(given: str) -> tuple[str, str]:
    """(pinyin, folded pinyin) of a given name: far fewer distinct given names than full names."""
    syllables, folds = [], []
    for ch in given:
        syllable, fold = _reading(ch)
        if syllable:
            syllables.append(syllable)
            folds.append(fold)
    return " ".join(syllables), "".join(folds)


@functools.lru_cache(maxsize=4096)
def _surname_readings(surname: str) -> tuple[str, str]:
    single, compound = _surnames()
    if surname in compound:
        syllables = compound[surname].split()
        return " ".join(syllables), "".join(_fold(s) for s in syllables)
    special = single.get(surname)
    return (special, _fold(special)) if special else _reading(surname)


def _plain_han_fields(name: str) -> tuple:
    # The common case (张伟, 欧阳修): characters only, nothing to normalise; same result as the general path.
    surname = name[:2] if len(name) > 2 and name[:2] in _surnames()[1] else name[0]
    given = name[len(surname) :]
    s_py, s_fold = _surname_readings(surname)
    g_py, g_fold = _given_readings(given)
    return (name, surname, given or None, f"{s_py} {g_py}" if s_py and g_py else s_py or g_py, s_fold + g_fold)


def _name_fields(simplified: str, foreign: bool) -> tuple:
    """(name_std, surname, given, name_py, name_py_fuzzy) of one name already converted to simplified characters."""
    if _PLAIN_HAN.fullmatch(simplified):
        return _plain_han_fields(simplified)
    text = _SPACE.sub(" ", unicodedata.normalize("NFKC", simplified)).strip()
    if not text:
        return (None, None, None, None, None)
    if any(_is_han(ch) for ch in text):
        name = _DOTS.sub("·", text).replace(" ", "")
        single, compound = _surnames()
        if len(name) > 2 and name[:2] in compound:  # 单于 alone is Shan Yu, 单于飞 is Chanyu Fei
            surname, given, syllables = name[:2], name[2:], compound[name[:2]].split()
        else:
            surname, given = name[0], name[1:]
            syllables = [single.get(surname) or _char_pinyin(surname)]
        syllables += [_char_pinyin(ch) for ch in given if _is_han(ch)]
        syllables = [s for s in syllables if s]
        return (name, surname, given or None, " ".join(syllables), "".join(_fold(s) for s in syllables))
    tokens = _latin_tokens(text)
    if not tokens:
        return (text, None, None, None, None)
    if not foreign:
        parts = [_segment(token) for token in tokens]
        if all(parts):
            syllables = [s for part in parts for s in part]
            upper = [token.upper() for token in tokens]
            given = " ".join(upper[1:]) or None
            return (" ".join(upper), upper[0], given, " ".join(syllables), "".join(_fold(s) for s in syllables))
    # Foreign names: the order of given names and surname differs between documents; sorted tokens agree.
    tokens = sorted(tokens)
    return (" ".join(t.upper() for t in tokens), None, None, " ".join(tokens), "".join(tokens))


def _names_table(pairs: list[tuple[str, bool]]) -> pa.Table:
    # Hundreds of thousands of small tuples: the cyclic garbage collector would rescan them again and again.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _names_table_work(pairs)
    finally:
        if enabled:
            gc.enable()


def _names_table_work(pairs: list[tuple[str, bool]]) -> pa.Table:
    raw = [(name or "").replace("\n", " ").replace("\r", " ") for name, _ in pairs]
    simplified = _t2s().convert("\n".join(raw)).split("\n") if raw else []
    if len(simplified) != len(raw):  # a converter that changed line count: fall back to one call per name
        simplified = [_t2s().convert(name) for name in raw]
    text = pa.array(simplified, pa.string())
    columns = _plain_han_columns(text)
    # The rest (pinyin, foreign, dotted or spaced names: a few percent) one by one, by the general rules.
    plain = columns.pop("plain").to_numpy(zero_copy_only=False)
    others = np.flatnonzero(~plain)
    if len(others):
        rows = [_name_fields(simplified[i], pairs[i][1]) for i in others]
        for position, key in enumerate(_NAME_COLUMNS):
            values = [None] * len(simplified)
            for i, row in zip(others, rows, strict=True):
                values[i] = row[position]
            columns[key] = pc.if_else(plain, columns[key], pa.array(values, pa.string()))
    return pa.table(columns)


def _plain_han_columns(text: pa.Array) -> dict[str, pa.Array]:
    """The name fields of the common case (characters only, 2 to 6 of them) for a whole column at once.

    Same rules as `_plain_han_fields`: a compound surname when the first two characters are one and the name is
    longer; readings looked up once per distinct surname and given name. Rows not of that form are marked
    plain = False and filled by the caller.
    """
    plain = pc.fill_null(pc.match_substring_regex(text, "^[\u4e00-\u9fff]{2,6}$"), False)
    compound = pa.array(sorted(_surnames()[1]), pa.string())
    first_two = pc.utf8_slice_codeunits(text, 0, 2)
    is_compound = pc.and_(pc.greater(pc.utf8_length(text), 2), pc.is_in(first_two, value_set=compound))
    surname = pc.if_else(is_compound, first_two, pc.utf8_slice_codeunits(text, 0, 1))
    given = pc.if_else(
        is_compound, pc.utf8_slice_codeunits(text, 2, 1 << 20), pc.utf8_slice_codeunits(text, 1, 1 << 20)
    )

    def readings(column: pa.Array, function) -> tuple[pa.Array, pa.Array]:
        keys = pc.unique(column)
        found = [function(key) if key else ("", "") for key in keys.to_pylist()]
        rows = pc.index_in(column, value_set=keys)
        pinyin = pa.array([f[0] for f in found], pa.string()).take(rows)
        folded = pa.array([f[1] for f in found], pa.string()).take(rows)
        return pinyin, folded

    s_py, s_fold = readings(pc.if_else(plain, surname, ""), _surname_readings)
    g_py, g_fold = readings(pc.if_else(plain, given, ""), _given_readings)
    both = pc.binary_join_element_wise(s_py, g_py, " ")
    name_py = pc.if_else(pc.equal(g_py, ""), s_py, pc.if_else(pc.equal(s_py, ""), g_py, both))
    null = pa.scalar(None, pa.string())
    return {
        "plain": plain,
        "name_std": pc.if_else(plain, text, null),
        "surname": pc.if_else(plain, surname, null),
        "given": pc.if_else(pc.and_(plain, pc.not_equal(given, "")), given, null),
        "name_py": pc.if_else(plain, name_py, null),
        "name_py_fuzzy": pc.if_else(plain, pc.binary_join_element_wise(s_fold, g_fold, ""), null),
    }


def _nationality(raw: str | None) -> str:
    text = _SPACE.sub("", unicodedata.normalize("NFKC", raw or "")).upper()
    if not text:
        return "CHN"
    return _NATIONALITIES.get(text, text)


def _doc_type(raw: str | None) -> str | None:
    text = _SPACE.sub("", unicodedata.normalize("NFKC", raw or "")).lower()
    return _DOC_TYPES.get(text, text or None)


def _short_province(name: str) -> str:
    for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@functools.cache
def _places() -> pa.Table:
    """Each way an address or hukou can begin with a division's name, with the division's code; ambiguous left out.

    "四川省成都市锦江区", "成都市锦江区", "四川成都市锦江区", "四川省成都市", "四川省", and a county's name alone
    when no other county in China has it.
    """
    from liuguan.geo.names import PLACEHOLDER_PREFECTURES, national_names

    names = national_names()
    found: dict[str, set[str]] = {}

    def add(text: str, code: str) -> None:
        if len(text) >= 2:
            found.setdefault(text, set()).add(code)

    for code, name in names.items():
        province = names.get(code[:2], "")
        short = _short_province(province)
        if len(code) == 2:
            add(name, code)
            add(short, code)
        elif len(code) == 4:
            if name in PLACEHOLDER_PREFECTURES:
                continue
            add(province + name, code)
            add(short + name, code)
            add(name, code)
        elif len(code) == 6:
            prefecture = names.get(code[:4], "")
            prefecture = "" if prefecture in PLACEHOLDER_PREFECTURES else prefecture
            for head in {province + prefecture, short + prefecture, prefecture, province, short}:
                if head:
                    add(head + name, code)
            if len(name) >= 3:
                add(name, code)
    unique = {text: next(iter(codes)) for text, codes in found.items() if len(codes) == 1}
    return pa.table(
        {
            "place": pa.array(list(unique), pa.string()),
            "code": pa.array(list(unique.values()), pa.string()),
            "place_len": pa.array([len(t) for t in unique], pa.int32()),
        }
    )


def _check_digit_sql(body: str) -> str:
    terms = " + ".join(f"{w} * TRY_CAST(substr({body}, {i + 1}, 1) AS INTEGER)" for i, w in enumerate(_WEIGHTS))
    return f"substr('{_CHECK}', (({terms}) % 11) + 1, 1)"


def _prepare(table: pa.Table) -> pa.Table:
    missing = [name for name in REQUIRED_COLUMNS if name not in table.column_names]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}; expected {', '.join(INPUT_COLUMNS)}")
    columns = {}
    for name in INPUT_COLUMNS:
        if name in table.column_names:
            column = table.column(name)
            columns[name] = column if column.type == pa.string() else column.cast(pa.string())
        else:
            columns[name] = pa.nulls(table.num_rows, pa.string())
    return pa.table(columns)


# Stages, each materialised as a temporary table: DuckDB inlines CTEs, and an expression referring to another
# (the check digit reads doc_std 17 times) would recompute it each time; a table computes it once. Every stage is
# a projection (no joins), so DuckDB keeps the input's row order; the lookups (names, nationalities, document
# types, places) are done on distinct values and spread back with Arrow's index_in and take.
_SQL = """
CREATE OR REPLACE TEMP TABLE base AS (
    SELECT
        i.rn, i.sex AS sex_raw,
        regexp_extract(coalesce(i.hukou, ''), '[1-8][0-9]{{5}}') AS hukou_digits,
        left(replace(coalesce(i.address, ''), ' ', ''), 40) AS address_t,
        left(replace(coalesce(i.hukou, ''), ' ', ''), 40) AS hukou_t,
        i.nat_std AS nationality,
        upper(regexp_replace({ascii_doc}, '[\\s\\-‐‑‒–—―−_/]', '', 'g'))
            AS d,
        i.dt_given,
        nullif(regexp_replace({ascii_phone}, '[^0-9+]', '', 'g'), '') AS p,
        trim({ascii_birth}) AS b
    FROM input i
);
CREATE OR REPLACE TEMP TABLE upgraded AS (
    SELECT *,
        CASE
            WHEN d = '' THEN NULL
            WHEN doc_type_std = 'citizen_id' AND regexp_full_match(d, '[0-9]{{15}}')
                THEN substr(d, 1, 6) || '19' || substr(d, 7, 9) || {check15}
            ELSE d
        END AS doc_std
    FROM (SELECT *,
        CASE
            WHEN dt_given IS NOT NULL THEN dt_given
            WHEN d = '' THEN NULL
            WHEN regexp_full_match(d, '8[123]0000[0-9]{{11}}[0-9X]') THEN 'hmt_resident'
            WHEN regexp_full_match(d, '[0-9]{{17}}[0-9X]|[0-9]{{15}}') THEN 'citizen_id'
            WHEN regexp_full_match(d, '[A-Z]{{3}}[0-9]{{12}}') THEN 'foreign_pr'
            ELSE 'passport'
        END AS doc_type_std
    FROM base)
);
CREATE OR REPLACE TEMP TABLE fields AS (
    SELECT * EXCLUDE (sex_raw, b, p, d, dt_given, id18, doc_birth_ts, address_t, hukou_t, birth_d),
        CAST(CAST(doc_birth_ts AS DATE) AS VARCHAR) AS doc_birth,
        CASE WHEN doc_birth_ts IS NOT NULL
            THEN CASE WHEN TRY_CAST(substr(doc_std, 17, 1) AS INTEGER) % 2 = 1 THEN 'M' ELSE 'F' END END AS doc_sex,
        CASE
            WHEN doc_std IS NULL THEN NULL
            WHEN doc_type_std IN ('citizen_id', 'hmt_resident')
                THEN id18 AND doc_birth_ts IS NOT NULL AND right(doc_std, 1) = {check18}
            WHEN doc_type_std = 'foreign_pr'
                THEN regexp_full_match(doc_std, '[A-Z]{{3}}[0-9]{{12}}') OR (id18 AND right(doc_std, 1) = {check18})
            ELSE regexp_full_match(doc_std, '[A-Z0-9]{{5,20}}') AND replace(doc_std, left(doc_std, 1), '') <> ''
        END AS doc_valid,
        CASE WHEN doc_type_std = 'citizen_id' AND regexp_full_match(doc_std, '[1-8][0-9]{{5}}.*')
            THEN substr(doc_std, 1, 6) END AS doc_area,
        CASE
            WHEN upper(trim(sex_raw)) IN ('M', 'MALE', '男', '1') THEN 'M'
            WHEN upper(trim(sex_raw)) IN ('F', 'FEMALE', '女', '2') THEN 'F'
        END AS sex,
        CAST(birth_d AS VARCHAR) AS birth,
        CASE
            WHEN regexp_full_match(p, '(\\+?86|0086)?1[3-9][0-9]{{9}}') THEN right(p, 11)
            WHEN regexp_full_match(p, '(\\+?86|0086)[1-9][0-9]{{8,10}}')
                THEN '0' || regexp_replace(p, '^(\\+?86|0086)', '')
            WHEN regexp_full_match(p, '0[1-9][0-9]{{8,10}}|[2-9][0-9]{{6,7}}') THEN p
        END AS phone_std,
        {address_key} AS address_key,
        {hukou_key} AS hukou_key
    FROM (
        SELECT *,
            doc_type_std IN ('citizen_id', 'hmt_resident', 'foreign_pr')
                AND regexp_full_match(doc_std, '[0-9]{{17}}[0-9X]') AS id18,
            CASE WHEN doc_type_std IN ('citizen_id', 'hmt_resident')
                AND regexp_full_match(doc_std, '[0-9]{{17}}[0-9X]')
                THEN try_strptime(substr(doc_std, 7, 8), '%Y%m%d') END AS doc_birth_ts,
            -- The ISO writing (most dates) by a plain cast, the others by their patterns.
            CASE WHEN length(b) = 10 AND substr(b, 5, 1) = '-' AND substr(b, 8, 1) = '-' THEN TRY_CAST(b AS DATE)
                ELSE CAST(coalesce(
                    try_strptime(b, '%Y-%m-%d'), try_strptime(b, '%Y%m%d'), try_strptime(b, '%Y/%m/%d'),
                    try_strptime(b, '%Y.%m.%d'), try_strptime(b, '%Y年%m月%d日')
                ) AS DATE) END AS birth_d
        FROM upgraded
    )
);
SELECT
    rn, doc_type_std, doc_std, doc_valid, doc_birth, doc_sex, doc_area,
    coalesce((birth IS NOT NULL AND doc_birth IS NOT NULL AND birth <> doc_birth)
        OR (sex IS NOT NULL AND doc_sex IS NOT NULL AND sex <> doc_sex), false) AS doc_conflict,
    birth, sex, phone_std, hukou_digits, hukou_key, address_key, nationality,
    CASE WHEN doc_type_std = 'passport' AND nationality <> 'CHN' THEN doc_std END AS passport
FROM fields
"""

# The division code of each distinct place key (hukou written as a name, addresses): the longest known prefix.
_PLACES_SQL = """
WITH places_wanted AS (
    SELECT hukou_key AS text FROM fields WHERE hukou_key IS NOT NULL AND hukou_digits = ''
    UNION SELECT address_key FROM fields WHERE address_key IS NOT NULL
),
place_keys AS (
    SELECT w.text, left(w.text, lens.place_len) AS k
    FROM places_wanted w CROSS JOIN (SELECT DISTINCT place_len FROM places) lens
    WHERE lens.place_len <= length(w.text)
)
SELECT pk.text, arg_max(pl.code, pl.place_len) AS code
FROM place_keys pk JOIN places pl ON pl.place = pk.k
GROUP BY pk.text
"""


@functools.cache
def _sql() -> str:
    check15 = _check_digit_sql("(substr(d, 1, 6) || '19' || substr(d, 7, 9))")
    return _SQL.format(
        ascii_doc=_ascii("i.doc_number"),
        ascii_phone=_ascii("i.phone"),
        ascii_birth=_ascii("i.birth_date"),
        check15=check15,
        check18=_check_digit_sql("doc_std"),
        address_key=_place_key("address_t"),
        hukou_key=_place_key("hukou_t"),
    )


def _place_key(column: str) -> str:
    """The part of an address that can name divisions: its leading pieces that end in a division suffix.

    "四川省成都市锦江区督院街8号" -> "四川省成都市锦江区"; many addresses share it, so far fewer distinct values are
    looked up than there are addresses.
    """
    endings = "".join(_place_endings())
    pieces = f"regexp_extract({column}, '^(?:[^{endings}]*[{endings}]){{1,8}}')"
    return f"CASE WHEN {column} = '' THEN NULL ELSE coalesce(nullif({pieces}, ''), left({column}, 4)) END"


def _place_endings() -> list[str]:
    """The last characters of place names (区 县 市 旗 州 盟 省 ...), leaving out the rare ones (江, 西)."""
    counts = collections.Counter(place[-1] for place in _places().column("place").to_pylist() if len(place) > 3)
    return sorted(end for end, count in counts.items() if count >= 5)


def _ascii(column: str) -> str:
    # translate() with a long map costs about 13 microseconds a value; only non-ASCII values need it
    # (strlen counts bytes, length characters: they differ exactly when a value has non-ASCII characters).
    value = f"coalesce({column}, '')"
    return f"CASE WHEN strlen({value}) = length({value}) THEN {value} ELSE translate({value}, '{_FULL}', '{_HALF}') END"


_lock = threading.Lock()


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    """One in-memory database holding the place-name table; each call works in its own cursor."""
    con = duckdb.connect()
    con.register("places_arrow", _places())
    con.execute("CREATE TABLE places AS SELECT * FROM places_arrow")
    con.unregister("places_arrow")
    return con


def _lookup(column: pa.ChunkedArray | pa.Array, keys: pa.Array, values: pa.Array) -> pa.Array:
    """values[i] where column == keys[i], null where the column's value is not among the keys."""
    return values.take(pc.index_in(column, value_set=keys, skip_nulls=False))


def _by_distinct(column: pa.Array, function) -> pa.Array:
    """Apply a function once per distinct value of a (small-vocabulary) column, spread back to every row."""
    keys = pc.unique(column)
    return _lookup(column, keys, pa.array([function(value) for value in keys.to_pylist()], pa.string()))


def standardise(table: pa.Table, *, threads: int | None = None) -> pa.Table:
    """The comparable form of each record (see OUTPUT_COLUMNS), in the input's order; missing values are null."""
    table = _prepare(table).combine_chunks()
    n = table.num_rows
    nationality = _by_distinct(table.column("nationality").combine_chunks(), _nationality)
    dt_given = _by_distinct(table.column("doc_type").combine_chunks(), _doc_type)
    # A name is read as a foreign one when the nationality is not Chinese: the key carries that flag.
    foreign = pc.not_equal(nationality, "CHN")
    name = table.column("name").combine_chunks()
    name_key = pc.if_else(foreign, pc.binary_join_element_wise("\x01", name, ""), name)
    keys = pc.unique(name_key)
    wanted = [(key[1:], True) if key and key[0] == "\x01" else (key, False) for key in keys.to_pylist()]
    with _lock:  # the name caches and OpenCC are shared between threads
        names = _names_table(wanted)
    name_rows = pc.index_in(name_key, value_set=keys, skip_nulls=False)

    rows = table.append_column("rn", pa.array(np.arange(n, dtype=np.int64)))
    rows = rows.append_column("nat_std", nationality).append_column("dt_given", dt_given)
    con = _database().cursor()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    try:
        con.execute("SET preserve_insertion_order = true")
        con.register("input", rows)
        result = con.sql(_sql()).arrow()
        if hasattr(result, "read_all"):
            result = result.read_all()
        hits = con.sql(_PLACES_SQL).arrow()
        if hasattr(hits, "read_all"):
            hits = hits.read_all()
    finally:
        con.close()
    order = result.column("rn").to_numpy()
    if n and not (np.diff(order) > 0).all():  # not expected (projections keep the order); never silently wrong
        positions = np.empty(n, dtype=np.int64)
        positions[order] = np.arange(n)
        result = result.take(pa.array(positions))
    result = result.combine_chunks()
    place, code = hits.column("text").combine_chunks(), hits.column("code").combine_chunks()
    digits = result.column("hukou_digits")
    hukou_by_name = _lookup(pc.if_else(pc.equal(digits, ""), result.column("hukou_key"), None), place, code)
    # The ID's area only from a number whose check digit holds: a typo in it would move the hukou.
    hukou_code = pc.coalesce(
        pc.if_else(pc.equal(digits, ""), None, digits),
        pc.utf8_rpad(hukou_by_name, width=6, padding="0"),
        pc.if_else(pc.fill_null(result.column("doc_valid"), False), result.column("doc_area"), None),
    )
    columns = {name: result.column(name) for name in result.column_names}
    columns.update({name: table.column(name) for name in ("record_id", "source")})  # untouched, not copied by SQL
    columns.update({key: names.column(key).take(name_rows) for key in _NAME_COLUMNS})
    columns["hukou_code"] = hukou_code
    columns["address_code"] = _lookup(result.column("address_key"), place, code)
    return pa.table({name: columns[name] for name in OUTPUT_COLUMNS})


_NAME_COLUMNS = ("name_std", "surname", "given", "name_py", "name_py_fuzzy")


def standardise_one(record: dict) -> dict:
    """The same rules for one record (entry-time check): exactly what `standardise` gives for that row."""
    row = {name: (None if record.get(name) is None else str(record.get(name))) for name in INPUT_COLUMNS}
    row["record_id"] = row["record_id"] or "new"
    row["name"] = row["name"] or ""
    table = pa.table({name: pa.array([row[name]], pa.string()) for name in INPUT_COLUMNS})
    return standardise(table, threads=1).to_pylist()[0]
