"""Hostile import files: random bytes, damaged and odd workbooks, CSV in every encoding Chinese offices produce.

The promise: a file is either read, row by row, or refused with InvalidInput and a sentence for people, never
another exception; the same holds for every cell reader; and a file that is refused or fails part-way leaves a
batch with a status and a message, never rows half-written without one.
"""

import csv
import datetime as dt
import io
import zipfile

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from liuguan.collection import services
from liuguan.collection.importing import cells
from liuguan.collection.importing.reading import iter_rows, open_import
from liuguan.collection.models import ImportBatch
from liuguan.core.errors import InvalidInput
from liuguan.registry.models import Stay

from .conftest import HEADERS, good_row

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _xlsx_bytes(rows, *, headers=HEADERS, extra=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if extra:
        extra(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD_XLSX = _xlsx_bytes([good_row(i) for i in range(3)])


def _read(tmp_path, data: bytes, name: str):
    """Open and read the whole file; the rows, or the InvalidInput it was refused with. Anything else fails."""
    path = tmp_path / "upload"
    path.write_bytes(data)
    try:
        opened = open_import(path, name)
        return list(iter_rows(opened))
    except InvalidInput as exc:
        assert exc.problems and all(str(p.message) for p in exc.problems)
        return exc


names = st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a.xls", "a", "表.CSV"])


# -- anything at all -----------------------------------------------------------------------------------------------


@settings(max_examples=60, suppress_health_check=FIXTURES)
@given(data=st.binary(max_size=2000), name=names)
def test_random_bytes_are_read_or_refused_with_a_message(tmp_path, data, name):
    _read(tmp_path, data, name)


@settings(max_examples=40, suppress_health_check=FIXTURES)
@given(cut=st.integers(min_value=0, max_value=len(GOOD_XLSX) - 1))
def test_a_truncated_workbook_is_refused_with_a_message(tmp_path, cut):
    outcome = _read(tmp_path, GOOD_XLSX[:cut], "a.xlsx")
    assert isinstance(outcome, InvalidInput)


with zipfile.ZipFile(io.BytesIO(GOOD_XLSX)) as _archive:
    GOOD_MEMBERS = {name: _archive.read(name) for name in _archive.namelist()}
    # The archive's own bookkeeping (local headers, central directory): where a flipped byte says most.
    STRUCTURE = sorted(
        {at for info in _archive.infolist() for at in range(info.header_offset, info.header_offset + 30)}
        | set(range(_archive.start_dir, len(GOOD_XLSX)))
    )
    # The compression method of each part as the central directory records it (2 bytes, 10 into its entry).
    METHODS = [at + 10 for at in range(_archive.start_dir, len(GOOD_XLSX)) if GOOD_XLSX[at : at + 4] == b"PK\x01\x02"]
positions = st.integers(min_value=0, max_value=len(GOOD_XLSX) - 1) | st.sampled_from(STRUCTURE)


@settings(max_examples=80, suppress_health_check=FIXTURES)
@given(flips=st.lists(st.tuples(positions, st.integers(0, 255)), min_size=1, max_size=8))
@example(flips=[(at, 99) for at in METHODS])  # a compression method zipfile does not know
def test_a_workbook_with_damaged_bytes_is_read_or_refused_with_a_message(tmp_path, flips):
    data = bytearray(GOOD_XLSX)
    for at, value in flips:
        data[at] = value
    _read(tmp_path, bytes(data), "a.xlsx")


def _zip_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# Half of the original part (cut XML), empty, foreign XML, and an XML entity.
ODD_PARTS = [b"half", b"", b"<x/>", b"<?xml version='1.0'?><worksheet/>", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"]


@settings(max_examples=40, suppress_health_check=FIXTURES)
@given(
    member=st.sampled_from(sorted(GOOD_MEMBERS)),
    replacement=st.binary(max_size=300) | st.sampled_from(ODD_PARTS),
    drop=st.booleans(),
)
@example(member="xl/worksheets/sheet1.xml", replacement=b"half", drop=False)  # the sheet's XML cut short
def test_a_workbook_with_a_part_missing_or_replaced_is_read_or_refused_with_a_message(
    tmp_path, member, replacement, drop
):
    members = dict(GOOD_MEMBERS)
    if drop:
        del members[member]
    elif replacement == b"half":
        members[member] = GOOD_MEMBERS[member][: len(GOOD_MEMBERS[member]) // 2]
    else:
        members[member] = replacement
    _read(tmp_path, _zip_with(members), "a.xlsx")


# -- odd workbooks that are well formed ----------------------------------------------------------------------------

cell_values = (
    st.none()
    | st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30)  # openpyxl cannot write controls
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.dates(min_value=dt.date(1900, 3, 1)).map(lambda d: d.isoformat())  # dates as text
    | st.sampled_from(["=1+1", "=A1", '=HYPERLINK("x")', "=1/0", "2025年3月1日", "5.10104E+17", "x" * 5000])
)


@st.composite
def odd_workbooks(draw):
    headers = list(HEADERS)
    if draw(st.booleans()):
        headers = draw(st.permutations(headers))
    if draw(st.booleans()):
        del headers[draw(st.integers(0, len(headers) - 1))]
    rows = draw(
        st.lists(
            st.one_of(
                st.just(good_row(draw(st.integers(0, 50)))),
                st.lists(cell_values, max_size=len(HEADERS) + 2),
                st.just([]),  # an empty row
            ),
            max_size=6,
        )
    )
    merge = draw(st.booleans())
    more_sheets = draw(st.lists(st.sampled_from(["说明", "Sheet2", "人员"]), unique=True, max_size=2))
    header_row_blank = draw(st.booleans())

    def extra(workbook):
        sheet = workbook.active
        if merge:
            sheet.merge_cells(start_row=2, start_column=1, end_row=3, end_column=3)
        if header_row_blank:
            sheet.insert_rows(1)
        for title in more_sheets:
            other = workbook.create_sheet(title, 0)
            other.append(["填表说明", "证件号码"])

    return _xlsx_bytes(rows, headers=headers, extra=extra)


@settings(max_examples=40, suppress_health_check=FIXTURES)
@given(data=odd_workbooks())
def test_odd_workbooks_are_read_or_refused_with_a_message(tmp_path, data):
    _read(tmp_path, data, "a.xlsx")


# -- CSV in the encodings offices use, with any line ends -----------------------------------------------------------

csv_cells = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00", exclude_categories=("Cs",))
    | st.sampled_from("张三李四，。、“”\"',;\t\r\n 　"),
    max_size=12,
)


@settings(max_examples=60, suppress_health_check=FIXTURES)
@given(
    rows=st.lists(st.lists(csv_cells, min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"]),
    line_ends=st.lists(st.sampled_from(["\r\n", "\n", "\r"]), min_size=6, max_size=6),
)
def test_csv_in_any_office_encoding_with_mixed_line_ends_reads_back_cell_for_cell(tmp_path, rows, encoding, line_ends):
    text = io.StringIO()
    for index, row in enumerate([HEADERS, *rows]):
        # Python quotes only a cell holding the line end it writes; Excel quotes any cell with a line break.
        quoting = csv.QUOTE_ALL if any("\r" in cell or "\n" in cell for cell in row) else csv.QUOTE_MINIMAL
        csv.writer(text, lineterminator=line_ends[index], quoting=quoting).writerow(row)
    try:
        data = text.getvalue().encode(encoding)
    except UnicodeEncodeError:
        assume(False)  # GBK has no such character: an office could not have saved this file
    outcome = _read(tmp_path, data, "a.csv")
    assert not isinstance(outcome, InvalidInput), outcome
    assert [cells for _number, cells in outcome] == rows


@settings(max_examples=30, suppress_health_check=FIXTURES)
@given(
    good=st.text(st.sampled_from("张三李四王五成都"), min_size=1, max_size=10),
    bad=st.binary(min_size=1, max_size=4).filter(lambda b: b"\x00" not in b),
)
def test_csv_with_bytes_of_no_encoding_is_refused_or_read_never_crashes(tmp_path, good, bad):
    data = ",".join(HEADERS).encode("gbk") + b"\r\n" + good.encode("utf-8") + bad + b"\r\n"
    _read(tmp_path, data, "a.csv")


# -- the cell readers ------------------------------------------------------------------------------------------------

any_cell = (
    cell_values
    | st.floats()
    | st.datetimes()
    | st.dates()
    | st.text(st.sampled_from("0123456789.eE+-/年月日 '０１２T:"), max_size=24)
)


@settings(max_examples=200)
@given(any_cell)
def test_every_cell_reader_answers_or_raises_a_cell_error(value):
    assert isinstance(cells.text(value), str)
    for reader in (cells.document_number, cells.phone, cells.date, cells.ethnicity, cells.community):
        try:
            reader(value)
        except cells.CellError as exc:
            assert exc.rule and str(exc.message)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_dates_in_every_documented_form_read_back_the_same(day):
    forms = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.isoformat()} 00:00:00",
        dt.datetime.combine(day, dt.time(12)),
        day,
    ]
    for form in forms:
        assert cells.date(form) == day, form
    serial = (day - dt.date(1899, 12, 30)).days
    assert cells.date(serial) == day
    assert cells.date(float(serial)) == day


# -- the whole import, through the service ---------------------------------------------------------------------------


def _csv_upload(rows) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows([HEADERS, *rows])
    return text.getvalue().encode("utf-8")


# Good rows with one cell replaced by anything, control characters included (the result workbook shows them).
csv_uploads = st.lists(
    st.tuples(st.integers(0, 50), st.integers(0, len(HEADERS) - 1), st.text(st.characters(codec="utf-8"), max_size=8)),
    min_size=1,
    max_size=4,
).map(lambda edits: _csv_upload([[*good_row(i)[:at], value, *good_row(i)[at + 1 :]] for i, at, value in edits]))


@pytest.mark.django_db
@settings(max_examples=16, suppress_health_check=FIXTURES)
@given(
    upload=st.tuples(
        odd_workbooks() | st.binary(max_size=400) | st.sampled_from([GOOD_XLSX[:-100], GOOD_XLSX]), st.just("a.xlsx")
    )
    | st.tuples(csv_uploads, st.just("a.csv")),
    mode=st.sampled_from(["all", "valid"]),
)
def test_a_hostile_upload_is_refused_or_ends_with_a_status_and_its_rows_accounted_for(collector, upload, mode):
    data, name = upload
    batches, stays = ImportBatch.objects.count(), Stay.objects.count()
    try:
        upload = services.import_batch_create(actor=collector, file=io.BytesIO(data), file_name=name, mode=mode)
    except InvalidInput as exc:
        assert exc.problems
        assert (ImportBatch.objects.count(), Stay.objects.count()) == (batches, stays)
        return
    if not upload.created:
        return  # the same bytes were uploaded in an earlier example
    batch = services.stays_import(actor=collector, batch_id=upload.batch.pk)
    assert batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED)
    if batch.status == ImportBatch.Status.FAILED:
        assert batch.error
    written = Stay.objects.count() - stays
    assert written == batch.accepted
    if mode == "all" and batch.rejected:
        assert written == 0
