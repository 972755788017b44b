"""Toneless pinyin of people's names for search and record linkage, reading surnames as surnames."""

from __future__ import annotations

import functools
import re
import unicodedata

# pypinyin gives a character its everyday reading (曾 ceng, 单 dan, 仇 chou); as surnames these read
# differently, and two records of one person must agree. Traditional forms are here for HMT residents.
_COMPOUND_SURNAMES = {
    "尉迟": "yu chi",
    "尉遲": "yu chi",
    "万俟": "mo qi",
    "萬俟": "mo qi",
    # Also 单 (shan) + a given name starting with 于; the compound wins, so both records read alike.
    "单于": "chan yu",
    "單于": "chan yu",
    "长孙": "zhang sun",
    "長孫": "zhang sun",
    "令狐": "ling hu",
    "澹台": "tan tai",
    "澹臺": "tan tai",
    "欧阳": "ou yang",
    "歐陽": "ou yang",
}
_SURNAMES = {
    "曾": "zeng",
    "单": "shan",
    "單": "shan",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "區": "ou",
    "朴": "piao",
    "樸": "piao",
    "查": "zha",
    "盖": "ge",
    "蓋": "ge",
    "缪": "miao",
    "繆": "miao",
    "乐": "yue",
    "樂": "yue",
    "覃": "qin",
    "翟": "zhai",
    "种": "chong",
    "種": "chong",
    "秘": "bi",
    "黑": "he",
    "员": "yun",
    "員": "yun",
    "繁": "po",
    "宓": "mi",
    "郇": "huan",
    "句": "gou",
    "薄": "bo",
    "都": "du",
    "能": "nai",
    "阚": "kan",
    "闞": "kan",
    "召": "shao",
    "折": "she",
    "祭": "zhai",
    "粘": "nian",
    "隗": "wei",
    "藏": "zang",
    "卜": "bu",
    "重": "chong",
    "洗": "xian",
    # 尉 alone is Wei (pypinyin's reading already); only the compound 尉迟 reads Yu.
}

_TOKEN = re.compile(r"[^\W_]+")


@functools.cache
def _lazy_pinyin():
    # Importing pypinyin loads its dictionaries (about 0.2 s); pay that once, and only where names are read.
    from pypinyin import Style, lazy_pinyin

    return functools.partial(lazy_pinyin, style=Style.NORMAL, v_to_u=False, neutral_tone_with_five=False)


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0003134f"


def _latin_tokens(chunk: str) -> list[str]:
    # ü is v in pinyin input (lv, nv); other accents are dropped so José and Jose compare equal.
    text = unicodedata.normalize("NFKD", chunk.lower().replace("ü", "v"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _TOKEN.findall(text)


@functools.lru_cache(maxsize=1 << 16)
def _syllables(text: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for item in _lazy_pinyin()(text):
        tokens.extend(_latin_tokens(item))
    return tuple(tokens)


@functools.lru_cache(maxsize=1 << 18)
def _pinyin_and_initials(name: str) -> tuple[str, str]:
    text = unicodedata.normalize("NFKC", name).strip()
    if text and _is_han(text[0]):
        if text[:2] in _COMPOUND_SURNAMES:
            surname, given = tuple(_COMPOUND_SURNAMES[text[:2]].split()), text[2:]
        elif text[0] in _SURNAMES:
            surname, given = (_SURNAMES[text[0]],), text[1:]
        else:
            # Read apart from the given name, so no phrase can span the two (曾经, 解放, 单车).
            surname, given = _syllables(text[0]), text[1:]
        tokens = surname + _syllables(given)
    else:
        tokens = _syllables(text)
    return " ".join(tokens), "".join(token[0] for token in tokens)


def name_pinyin(name: str) -> str:
    """Lower-case toneless pinyin, one space between syllables, surname read as a surname (曾小明: zeng xiao ming)."""
    return _pinyin_and_initials(name)[0]


def name_initials(name: str) -> str:
    """First letter of each pinyin syllable or Latin word (张三: zs)."""
    return _pinyin_and_initials(name)[1]


def names_pinyin_bulk(names: list[str]) -> list[tuple[str, str]]:
    """(pinyin, initials) for each name; names repeat a lot, so each distinct one is worked out once."""
    return [_pinyin_and_initials(name) for name in names]


def search_key(query: str) -> str:
    """Reduce a query to the stored keys' form: lower case, ü as v, no spaces or punctuation (Zhang San: zhangsan)."""
    return "".join(_latin_tokens(unicodedata.normalize("NFKC", query)))
