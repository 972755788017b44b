import zipfile

import pytest

from liuguan.collection.importing.reading import is_blank, iter_rows, open_import
from liuguan.core.errors import InvalidInput

from .conftest import HEADERS, good_row, write_csv, write_xlsx


def _rules(exc_info):
    return [p.rule for p in exc_info.value.problems]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_encodings_chinese_offices_produce_are_read_right(tmp_path, encoding, detected):
    path = write_csv(
        tmp_path / "rows.csv", [good_row(0, name="曾小明", hukou_address="四川省南充市营山县")], encoding=encoding
    )
    opened = open_import(path, "rows.csv")
    assert opened.encoding == detected
    [(number, cells)] = list(iter_rows(opened))
    assert number == 2 and cells[2] == "曾小明" and cells[7] == "四川省南充市营山县"


def test_a_file_in_neither_encoding_gets_a_clear_error(tmp_path):
    path = tmp_path / "latin.csv"
    # Windows-1252 as written by a Western Excel: the euro sign is byte 0x80, valid in neither encoding.
    path.write_bytes(",".join(HEADERS).encode("gbk") + "\r\nCafé €,x\r\n".encode("cp1252"))
    with pytest.raises(InvalidInput) as caught:
        open_import(path, "latin.csv")
    assert _rules(caught) == ["import.encoding"]
    message = str(caught.value.problems[0].message)
    assert "UTF-8" in message and "GB18030" in message


def test_missing_required_columns_are_named(tmp_path):
    headers = [h for h in HEADERS if "到达日期" not in h and "姓名" not in h]
    path = write_csv(tmp_path / "rows.csv", [], headers=headers)
    with pytest.raises(InvalidInput) as caught:
        open_import(path, "rows.csv")
    assert _rules(caught) == ["import.column_missing"]
    assert "姓名" in str(caught.value.problems[0].message) and "到达日期" in str(caught.value.problems[0].message)


def test_extra_columns_are_ignored_and_reported(tmp_path):
    path = write_csv(tmp_path / "rows.csv", [[*good_row(), "x", "y"]], headers=[*HEADERS, "备注", "工作单位"])
    opened = open_import(path, "rows.csv")
    assert opened.header.ignored == ["备注", "工作单位"]
    assert opened.header.fields[-2:] == ["", ""]


def test_the_same_field_twice_is_refused(tmp_path):
    path = write_csv(tmp_path / "rows.csv", [], headers=[*HEADERS, "身份证号"])
    with pytest.raises(InvalidInput) as caught:
        open_import(path, "rows.csv")
    assert _rules(caught) == ["import.column_twice"]


def test_no_header_at_all(tmp_path):
    path = write_csv(tmp_path / "rows.csv", [["a", "b"]], headers=["x", "y"])
    with pytest.raises(InvalidInput) as caught:
        open_import(path, "rows.csv")
    assert _rules(caught) == ["import.header_missing"]


def test_xlsx_is_streamed_with_row_numbers_and_blank_rows(tmp_path):
    path = write_xlsx(tmp_path / "rows.xlsx", [good_row(0), [None] * len(HEADERS), ["  ", None], good_row(1)])
    opened = open_import(path, "rows.xlsx")
    assert opened.format == "xlsx" and opened.estimated_rows == 4
    rows = [(n, c) for n, c in iter_rows(opened) if not is_blank(c)]
    assert [n for n, _c in rows] == [2, 5]


def test_tab_separated_text_is_read(tmp_path):
    path = tmp_path / "rows.txt"
    path.write_text("\t".join(HEADERS) + "\n" + "\t".join(good_row(0)) + "\n", encoding="utf-8")
    opened = open_import(path, "rows.txt")
    assert opened.delimiter == "\t" and list(iter_rows(opened))[0][1][1] == good_row(0)[1]


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "import.xls_unsupported"),
        ("fake.xlsx", b"not a workbook", "import.not_xlsx"),
        ("photo.jpg", b"\xff\xd8\xff\xe0", "import.extension"),
    ],
)
def test_extension_and_content_must_agree(tmp_path, name, content, rule):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as caught:
        open_import(path, name)
    assert _rules(caught) == [rule]


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "rows.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(InvalidInput) as caught:
        open_import(path, "rows.xlsx")
    assert _rules(caught) == ["import.not_xlsx"]


def test_binary_content_named_csv_is_refused(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(",".join(HEADERS).encode() + b"\r\n\x00\x01\x02binary\r\n")
    with pytest.raises(InvalidInput) as caught:
        open_import(path, "rows.csv")
    assert _rules(caught) == ["import.not_text"]
