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


def _segment(token: str) -> list[str] | None:
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
    return best[len(token)]


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


def _plain_han_fields(name: str) -> tuple:
    # The common case (张伟, 欧阳修): characters only, nothing to normalise; same result as the general path.
    single, compound = _surnames()
    if len(name) > 2 and name[:2] in compound:
        surname, given = name[:2], name[2:]
        syllables = compound[surname].split()
        folds = [_fold(s) for s in syllables]
    else:
        surname, given = name[0], name[1:]
        special = single.get(surname)
        syllable, fold = (special, _fold(special)) if special else _reading(surname)
        syllables, folds = ([syllable], [fold]) if syllable else ([], [])
    for ch in given:
        syllable, fold = _reading(ch)
        if syllable:
            syllables.append(syllable)
            folds.append(fold)
    return (name, surname, given or None, " ".join(syllables), "".join(folds))


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
    rows = [_name_fields(text, foreign) for text, (_, foreign) in zip(simplified, pairs, strict=True)]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(5)]
    return pa.table(
        {
            "n_raw": pa.array([name for name, _ in pairs], pa.string()),
            "n_foreign": pa.array([foreign for _, foreign in pairs], pa.bool_()),
            **{
                key: pa.array(list(values), pa.string())
                for key, values in zip(
                    ("name_std", "surname", "given", "name_py", "name_py_fuzzy"), columns, strict=True
                )
            },
        }
    )


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
# (the check digit reads doc_std 17 times) would recompute it each time; a table computes it once.
_SQL = """
CREATE OR REPLACE TEMP TABLE base AS (
    SELECT
        i.rn, i.record_id, i.source, i.name, i.sex AS sex_raw, i.hukou, i.address,
        left(replace(coalesce(i.address, ''), ' ', ''), 40) AS address_t,
        left(replace(coalesce(i.hukou, ''), ' ', ''), 40) AS hukou_t,
        nat.nationality,
        upper(regexp_replace({ascii_doc}, '[\\s\\-‐‑‒–—―−_/]', '', 'g'))
            AS d,
        dt.doc_type_std AS dt_given,
        nullif(regexp_replace({ascii_phone}, '[^0-9+]', '', 'g'), '') AS p,
        trim({ascii_birth}) AS b
    FROM input i
    LEFT JOIN nats nat ON nat.raw IS NOT DISTINCT FROM i.nationality
    LEFT JOIN doc_types dt ON dt.raw IS NOT DISTINCT FROM i.doc_type
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
    SELECT * EXCLUDE (sex_raw, b, p, d, dt_given, id18, doc_birth_ts, address_t, hukou_t),
        strftime(doc_birth_ts, '%Y-%m-%d') AS doc_birth,
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
        strftime(coalesce(
            try_strptime(b, '%Y-%m-%d'), try_strptime(b, '%Y%m%d'), try_strptime(b, '%Y/%m/%d'),
            try_strptime(b, '%Y.%m.%d'), try_strptime(b, '%Y年%m月%d日')
        ), '%Y-%m-%d') AS birth,
        CASE
            WHEN regexp_full_match(p, '(\\+?86|0086)?1[3-9][0-9]{{9}}') THEN right(p, 11)
            WHEN regexp_full_match(p, '(\\+?86|0086)[1-9][0-9]{{8,10}}')
                THEN '0' || regexp_replace(p, '^(\\+?86|0086)', '')
            WHEN regexp_full_match(p, '0[1-9][0-9]{{8,10}}|[2-9][0-9]{{6,7}}') THEN p
        END AS phone_std,
        regexp_extract(coalesce(hukou, ''), '[1-8][0-9]{{5}}') AS hukou_digits,
        {address_key} AS address_key,
        {hukou_key} AS hukou_key
    FROM (
        SELECT *,
            doc_type_std IN ('citizen_id', 'hmt_resident', 'foreign_pr')
                AND regexp_full_match(doc_std, '[0-9]{{17}}[0-9X]') AS id18,
            CASE WHEN doc_type_std IN ('citizen_id', 'hmt_resident')
                AND regexp_full_match(doc_std, '[0-9]{{17}}[0-9X]')
                THEN try_strptime(substr(doc_std, 7, 8), '%Y%m%d') END AS doc_birth_ts
        FROM upgraded
    )
);
WITH places_wanted AS (
    SELECT hukou_key AS text FROM fields WHERE hukou_key IS NOT NULL AND hukou_digits = ''
    UNION SELECT address_key FROM fields WHERE address_key IS NOT NULL
),
place_keys AS (
    SELECT w.text, left(w.text, lens.place_len) AS k
    FROM places_wanted w CROSS JOIN (SELECT DISTINCT place_len FROM places) lens
    WHERE lens.place_len <= length(w.text)
),
place_hits AS (
    SELECT pk.text, arg_max(pl.code, pl.place_len) AS code
    FROM place_keys pk JOIN places pl ON pl.place = pk.k
    GROUP BY pk.text
)
SELECT
    f.rn, f.record_id, f.source, f.doc_type_std, f.doc_std, f.doc_valid, f.doc_birth, f.doc_sex, f.doc_area,
    coalesce((f.birth IS NOT NULL AND f.doc_birth IS NOT NULL AND f.birth <> f.doc_birth)
        OR (f.sex IS NOT NULL AND f.doc_sex IS NOT NULL AND f.sex <> f.doc_sex), false) AS doc_conflict,
    n.name_std, n.surname, n.given, n.name_py, n.name_py_fuzzy,
    f.birth, f.sex, f.phone_std,
    -- The ID's area only from a number whose check digit holds: a typo in it would move the hukou.
    coalesce(nullif(f.hukou_digits, ''), rpad(h.code, 6, '0'), CASE WHEN f.doc_valid THEN f.doc_area END) AS hukou_code,
    a.code AS address_code,
    f.nationality,
    CASE WHEN f.doc_type_std = 'passport' AND f.nationality <> 'CHN' THEN f.doc_std END AS passport
FROM fields f
LEFT JOIN names n ON n.n_raw IS NOT DISTINCT FROM f.name AND n.n_foreign = (f.nationality <> 'CHN')
LEFT JOIN place_hits h ON h.text = f.hukou_key AND f.hukou_digits = ''
LEFT JOIN place_hits a ON a.text = f.address_key
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


def standardise(table: pa.Table, *, threads: int | None = None) -> pa.Table:
    """The comparable form of each record (see OUTPUT_COLUMNS), in the input's order; missing values are null."""
    table = _prepare(table)
    table = table.append_column("rn", pa.array(range(table.num_rows), pa.int64()))
    con = _database().cursor()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    try:
        con.register("input", table)
        nat_values = pc.unique(table.column("nationality")).to_pylist()
        nat_std = [_nationality(value) for value in nat_values]
        nats = pa.table({"raw": pa.array(nat_values, pa.string()), "nationality": pa.array(nat_std, pa.string())})
        type_values = pc.unique(table.column("doc_type")).to_pylist()
        doc_types = pa.table(
            {
                "raw": pa.array(type_values, pa.string()),
                "doc_type_std": pa.array([_doc_type(value) for value in type_values], pa.string()),
            }
        )
        con.register("nats", nats)
        con.register("doc_types", doc_types)
        foreign_of = pa.array([value != "CHN" for value in nat_std], pa.bool_())
        positions = pc.index_in(table.column("nationality"), value_set=nats.column("raw"), skip_nulls=False)
        wanted = (
            pa.table({"name": table.column("name"), "foreign": foreign_of.take(positions)})
            .group_by(["name", "foreign"])
            .aggregate([])
            .to_pylist()
        )
        with _lock:  # the name caches and OpenCC are shared between threads
            names = _names_table([(row["name"], bool(row["foreign"])) for row in wanted])
        con.register("names", names)
        result = con.sql(_sql()).arrow()
        if hasattr(result, "read_all"):
            result = result.read_all()
    finally:
        con.close()
    # Back in the input's order (cheaper here than an ORDER BY over every column).
    positions = np.empty(result.num_rows, dtype=np.int64)
    positions[result.column("rn").to_numpy()] = np.arange(result.num_rows)
    return result.take(pa.array(positions)).select(list(OUTPUT_COLUMNS))


def standardise_one(record: dict) -> dict:
    """The same rules for one record (entry-time check): exactly what `standardise` gives for that row."""
    row = {name: (None if record.get(name) is None else str(record.get(name))) for name in INPUT_COLUMNS}
    row["record_id"] = row["record_id"] or "new"
    row["name"] = row["name"] or ""
    table = pa.table({name: pa.array([row[name]], pa.string()) for name in INPUT_COLUMNS})
    return standardise(table, threads=1).to_pylist()[0]
