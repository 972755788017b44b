import datetime as dt

import pytest
from django.utils import translation

from liuguan.collection.importing import cells
from liuguan.collection.importing.cells import CellError
from liuguan.collection.importing.headers import header_key, header_map


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("510104199003071234", "510104199003071234"),
        (" 510104199003071234 ", "510104199003071234"),
        ("'510104199003071234", "510104199003071234"),
        ("５１０１０４１９９００３０７１２３４", "510104199003071234"),
        ("11010519491231002x", "11010519491231002x"),
        (510104900307123, "510104900307123"),  # a legacy 15-digit number is exact as an Excel number
        (510104900307123.0, "510104900307123"),
        ("510104900307123.0", "510104900307123"),
        (None, ""),
    ],
)
def test_document_numbers_are_recovered_where_safe(raw, expected):
    assert cells.document_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (5.10104199003071e17, "excel.number_precision"),  # what Excel stores for an 18-digit number
        (510104199003071000, "excel.number_precision"),
        (5101041990030712.0, "excel.number_precision"),
        (1234.5, "excel.number_precision"),
        ("5.10104E+17", "excel.scientific_notation"),
        ("5.101041990030712E+17", "excel.scientific_notation"),
        ("5.10104e17", "excel.scientific_notation"),
        ("510104199003071234.0", "excel.number_precision"),
    ],
)
def test_mangled_numbers_are_refused_with_the_reason(raw, rule):
    with pytest.raises(CellError) as caught:
        cells.document_number(raw)
    assert caught.value.rule == rule
    with translation.override("en"):
        assert "15" in str(caught.value.message) and "text" in str(caught.value.message)
    with translation.override("zh-hans"):
        assert "15" in str(caught.value.message) and "文本格式" in str(caught.value.message)


@pytest.mark.parametrize(
    "raw",
    [
        "2025-03-01",
        "2025/3/1",
        "2025.3.1",
        "20250301",
        "2025年3月1日",
        "2025 年 3 月 1 日",
        "2025-03-01 00:00:00",
        "２０２５－０３－０１",
        45717,  # Excel's serial number of 2025-03-01
        45717.75,
        "45717",
        20250301,
        dt.datetime(2025, 3, 1, 8, 30),
        dt.date(2025, 3, 1),
    ],
)
def test_date_forms_people_type(raw):
    assert cells.date(raw) == dt.date(2025, 3, 1)


@pytest.mark.parametrize("raw", ["2025-13-01", "2025-02-30", "3/1/2025", "昨天", "25-3-1", -4])
def test_unreadable_dates_name_the_value(raw):
    with pytest.raises(CellError) as caught:
        cells.date(raw)
    assert caught.value.rule == "import.date_format" and str(raw) in str(caught.value.message)


def test_empty_date_is_none():
    assert cells.date(None) is None and cells.date("  ") is None


@pytest.mark.parametrize(
    ("raw", "table", "expected"),
    [
        ("居民身份证", cells.DOC_TYPES, "citizen_id"),
        ("护照", cells.DOC_TYPES, "passport"),
        ("男", cells.SEXES, "M"),
        (" 女性 ", cells.SEXES, "F"),
        ("大专", cells.EDUCATION, "30"),
        (20, cells.MARITAL, "20"),
        ("务工", cells.REASONS, "work"),
        ("投亲靠友", cells.REASONS, "family"),
        ("study", cells.REASONS, "study"),
        ("中国", cells.NATIONALITIES, "CHN"),
        ("修仙", cells.REASONS, "修仙"),  # unknown values pass through for the registry's checks to refuse
    ],
)
def test_labels_become_codes(raw, table, expected):
    assert cells.choice(raw, table) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("汉族", "01"), ("汉", "01"), ("01", "01"), (1, "01"), (7, "07"), ("彝族", "07"), (None, "01")],
)
def test_ethnicity_names_and_codes(raw, expected):
    assert cells.ethnicity(raw) == expected


def test_community_codes_and_names():
    names = cells.CommunityNames(
        [("510104001001", "东御河沿社区"), ("510104002001", "和平社区"), ("510107001001", "和平社区")]
    )
    assert cells.community(510104001001, names) == "510104001001"
    assert cells.community("510104001001.0", names) == "510104001001"
    assert cells.community("东御河沿社区", names) == "510104001001"
    with pytest.raises(CellError) as caught:
        cells.community("和平社区", names)
    assert caught.value.rule == "import.community_ambiguous"
    with pytest.raises(CellError):
        cells.community("5.10104E+11", names)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("身份证号", "doc_number"),
        ("身份证号码", "doc_number"),
        ("公民身份号码", "doc_number"),
        ("证件号", "doc_number"),
        ("*证件号码", "doc_number"),
        ("证件号码（必填）", "doc_number"),
        (" 姓 名 ", "name"),
        ("名字", "name"),
        ("手机号", "phone"),
        ("电话", "phone"),
        ("社区编码", "community_code"),
        ("居住地社区", "community_code"),
        ("来蓉日期", "arrived_on"),
        ("到达时间(YYYY-MM-DD)*", "arrived_on"),
        ("来本地日期", "arrived_on"),
        ("＊居住事由", "reason"),
        ("\ufeff证件类型", "doc_type"),
    ],
)
def test_header_variants(header, field):
    found = header_map([(1, [header, "姓名"])])
    assert found.positions.get(field) == 0, header_key(header)


def test_title_row_above_the_header_is_skipped():
    found = header_map(
        [(1, ["流动人口居住登记表", None]), (2, ["身份证号", "姓名", "社区代码", "来蓉日期", "事由", "备注"])]
    )
    assert found.row_number == 2 and found.missing == [] and found.ignored == ["备注"]
