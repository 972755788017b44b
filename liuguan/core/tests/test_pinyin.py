import pytest

from liuguan.core.pinyin import name_initials, name_pinyin, names_pinyin_bulk, search_key


def test_a_plain_name():
    assert name_pinyin("张三") == "zhang san"
    assert name_initials("张三") == "zs"


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        # pypinyin alone reads these ceng, dan, chou, jie, qu, pu, cha, gai, mou, le, tan, di, zhong, mi, hei.
        ("曾小明", "zeng xiao ming"),
        ("单田芳", "shan tian fang"),
        ("仇英", "qiu ying"),
        ("解缙", "xie jin"),
        ("区汉文", "ou han wen"),
        ("朴槿惠", "piao jin hui"),
        ("查良镛", "zha liang yong"),
        ("盖聂", "ge nie"),
        ("缪斯", "miao si"),
        ("乐嘉", "yue jia"),
        ("覃文", "qin wen"),
        ("翟志刚", "zhai zhi gang"),
        ("种师道", "chong shi dao"),
        ("秘书", "bi shu"),
        ("黑明", "he ming"),
        ("员半千", "yun ban qian"),
        ("繁钦", "po qin"),
        ("句芒", "gou mang"),
        ("欧阳修", "ou yang xiu"),
        ("尉迟恭", "yu chi gong"),
        ("万俟卨", "mo qi xie"),
        ("单于安", "chan yu an"),
        ("长孙无忌", "zhang sun wu ji"),
        ("令狐冲", "ling hu chong"),
        ("澹台灭明", "tan tai mie ming"),
        ("歐陽修", "ou yang xiu"),
    ],
)
def test_surnames_read_as_surnames(name, pinyin):
    assert name_pinyin(name) == pinyin


def test_the_surname_is_read_apart_from_the_given_name():
    # 曾经 is a word (ceng jing); as a name it is Zeng Jing.
    assert name_pinyin("曾经") == "zeng jing"


def test_u_umlaut_is_written_v():
    assert name_pinyin("吕布") == "lv bu"
    assert name_initials("吕布") == "lb"
    assert name_pinyin("女娲") == "nv wa"


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("John Smith", "john smith", "js"),
        ("O'Brien,  Mary-Jane", "o brien mary jane", "obmj"),
        ("ＪＯＨＮ  SMITH", "john smith", "js"),
        ("José Álvarez", "jose alvarez", "ja"),
    ],
)
def test_latin_names_pass_through_lower_cased(name, pinyin, initials):
    assert name_pinyin(name) == pinyin
    assert name_initials(name) == initials


def test_transliterated_names_drop_the_middle_dot():
    assert name_pinyin("买买提·艾力") == "mai mai ti ai li"


def test_empty_names():
    assert name_pinyin("") == ""
    assert name_initials("  ") == ""


@pytest.mark.parametrize("query", ["Zhang San", "zhangsan", "ZHANG-SAN", " zhang  san "])
def test_search_keys_meet_the_stored_compact_pinyin(query):
    assert search_key(query) == name_pinyin("张三").replace(" ", "")


def test_search_keys_meet_the_stored_initials():
    assert search_key("ZS") == name_initials("张三")
    assert search_key("Lü Bu") == name_pinyin("吕布").replace(" ", "")


def test_bulk_equals_one_at_a_time():
    names = ["张三", "曾小明", "张三", "欧阳修", "John Smith", "吕布", "", "单田芳", "张三"]

    assert names_pinyin_bulk(names) == [(name_pinyin(n), name_initials(n)) for n in names]
