from openpyxl import load_workbook

from liuguan.collection import services

from .conftest import HEADERS, good_row, run_import, write_csv, write_xlsx


def test_rejected_cells_are_red_with_the_rule_in_a_comment(collector, tmp_path):
    rows = [
        good_row(0),
        good_row(1, doc_number="5.11321E+17", arrived_on="2025-02-30"),
        good_row(2, phone="12345", reason="修仙"),
    ]
    batch = run_import(collector, write_xlsx(tmp_path / "rows.xlsx", rows))
    path = services.import_result_read(actor=collector, batch_id=batch.pk)
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] in ("汇总", "Summary")
    sheet = workbook.worksheets[1]
    header = [c.value for c in sheet[1]]
    assert header[1:-1] == HEADERS and header[-1] == "错误说明"
    first, second = list(sheet.iter_rows(min_row=2))
    assert first[0].value == 3 and second[0].value == 4
    number = first[1 + HEADERS.index("*证件号码")]
    assert number.value == "5.11321E+17" and number.fill.fgColor.rgb.endswith("FFC7CE")
    assert "excel.scientific_notation" in number.comment.text
    arrived = first[1 + HEADERS.index("*到达日期")]
    assert "import.date_format" in arrived.comment.text and "2025-02-30" in arrived.comment.text
    assert first[1 + HEADERS.index("*姓名")].comment is None
    explained = first[-1].value
    assert "*证件号码" in explained and "*到达日期" in explained and "excel.scientific_notation" in explained
    phone = second[1 + HEADERS.index("联系电话")]
    assert "mobile.format" in phone.comment.text
    assert "stay.reason" in second[1 + HEADERS.index("*居住事由")].comment.text
    summary = {row[0].value: row[1].value for row in workbook.worksheets[0].iter_rows()}
    assert 1 in summary.values() and 2 in summary.values()


def test_the_result_workbook_download_is_audited(collector, tmp_path):
    from liuguan.core.models import AuditEvent

    batch = run_import(collector, write_csv(tmp_path / "rows.csv", [good_row(0, name="")]))
    services.import_result_read(actor=collector, batch_id=batch.pk)
    event = AuditEvent.objects.get(action="import.result_read")
    assert event.object_id == str(batch.pk) and event.actor_username == collector.username


def test_a_fixed_result_sheet_can_be_imported_again(collector, tmp_path):
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", [good_row(0), good_row(1, reason="修仙")]))
    workbook = load_workbook(services.import_result_read(actor=collector, batch_id=batch.pk))
    sheet = workbook.worksheets[1]
    sheet.cell(row=2, column=1 + 1 + HEADERS.index("*居住事由"), value="务工")
    fixed = tmp_path / "fixed.xlsx"
    workbook.save(fixed)
    again = run_import(collector, fixed)
    assert (again.accepted, again.rejected) == (1, 0)
