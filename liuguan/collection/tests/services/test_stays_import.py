import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.collection import services
from liuguan.collection.importing.write import ChunkWriter
from liuguan.collection.models import ImportBatch, ImportRow
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY, citizen_id
from liuguan.core.audit import audit_verify
from liuguan.core.errors import NotFound
from liuguan.core.models import AuditEvent
from liuguan.registry.models import Person, Stay

from ..conftest import good_row, run_import, write_csv, write_xlsx

NEIGHBOUR = "510104001002"  # inside the street officer's township, outside the collector's community


def _problems(batch, row_number):
    return [(p["field"], p["rule"]) for p in ImportRow.objects.get(batch=batch, row_number=row_number).problems]


def test_accept_valid_rows_writes_them_with_provenance_and_lateness(collector, tmp_path):
    rows = [
        good_row(0),
        good_row(1, doc_number="511321199001010011", sex=""),
        good_row(2),
        good_row(3, arrived_on="明天"),
    ]
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", rows))
    assert (batch.status, batch.accepted, batch.rejected, batch.people_created) == ("done", 2, 2, 2)
    assert _problems(batch, 3) == [("doc_number", "gb11643.check_digit")]
    assert _problems(batch, 5) == [("arrived_on", "import.date_format")]
    stay = Stay.objects.select_related("person").get(person__doc_number=good_row(0)[1])
    assert (stay.source_channel, stay.collector, stay.source_ref) == ("import", collector, f"import:{batch.pk}:2")
    assert stay.community_id == IN_COMMUNITY and stay.arrived_on == dt.date(2025, 3, 1)
    assert stay.lag_days > 30 and stay.late
    assert stay.person.created_by == collector and stay.person.name_pinyin
    assert stay.person.sex == ("M" if int(good_row(0)[1][16]) % 2 else "F")


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(collector, tmp_path):
    rows = [good_row(i) for i in range(5)] + [good_row(5, reason="修仙")]
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", rows), mode="all", chunk_size=2)
    assert (batch.status, batch.accepted, batch.rejected, batch.rows_done) == ("done", 0, 1, 6)
    assert not Person.objects.exists() and not Stay.objects.exists()
    assert _problems(batch, 7) == [("reason", "stay.reason")]
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["import.upload", "import.start", "import.finish"]


def test_all_or_nothing_writes_everything_when_every_row_is_good(collector, tmp_path):
    batch = run_import(
        collector, write_csv(tmp_path / "rows.csv", [good_row(i) for i in range(5)]), mode="all", chunk_size=2
    )
    assert (batch.accepted, batch.rejected, Person.objects.count()) == (5, 0, 5)
    chunks = AuditEvent.objects.filter(action="import.chunk").order_by("id")
    assert [e.changes["rows"] for e in chunks] == [[2, 3], [4, 5], [6, 6]]
    assert audit_verify().ok


def test_uploading_the_same_file_again_creates_nothing_new(users, collector, tmp_path):
    path = write_csv(tmp_path / "rows.csv", [good_row(i) for i in range(3)])
    first = run_import(collector, path)
    again = run_import(users[Role.GRID_WORKER], path)  # someone else in the same community
    assert again.pk == first.pk and ImportBatch.objects.count() == 1
    assert Person.objects.count() == 3 and Stay.objects.count() == 3


def test_the_same_people_in_another_file_are_already_registered(collector, tmp_path):
    run_import(collector, write_csv(tmp_path / "a.csv", [good_row(i) for i in range(3)]))
    batch = run_import(collector, write_xlsx(tmp_path / "b.xlsx", [good_row(i) for i in range(3)]))
    assert (batch.accepted, batch.already_registered, batch.people_created) == (0, 3, 0)
    assert Person.objects.count() == 3 and Stay.objects.count() == 3


def test_a_known_document_number_reuses_the_person(street, person_in, tmp_path):
    rows = [
        good_row(0, doc_number=person_in.doc_number, name=person_in.name, sex="", community_code=IN_COMMUNITY),
        good_row(1, doc_number=person_in.doc_number.lower(), name="张叁", sex="", community_code=NEIGHBOUR),
    ]
    batch = run_import(street, write_csv(tmp_path / "rows.csv", rows))
    assert (batch.already_registered, batch.rejected, batch.people_created) == (1, 1, 0)
    # The second occurrence of one number in a file is refused even though it names another community.
    assert ("doc_number", "import.duplicate_in_file") in _problems(batch, 3)
    assert Person.objects.count() == 1


def test_a_known_person_gets_a_new_stay_in_another_community(street, person_in, tmp_path):
    rows = [good_row(0, doc_number=person_in.doc_number, name="张叁", sex="", community_code=NEIGHBOUR)]
    batch = run_import(street, write_csv(tmp_path / "rows.csv", rows))
    assert (batch.accepted, batch.people_created) == (1, 0)
    assert set(person_in.stays.values_list("community_id", flat=True)) == {IN_COMMUNITY, NEIGHBOUR}
    assert _problems(batch, 2) == [("name", "import.name_differs")]


def test_the_same_number_twice_in_a_file_is_rejected_the_second_time(collector, tmp_path):
    rows = [good_row(0), good_row(1), good_row(0, name="别人")]
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", rows))
    assert (batch.accepted, batch.rejected) == (2, 1)
    problem = ImportRow.objects.get(batch=batch, row_number=4).problems[0]
    assert problem["rule"] == "import.duplicate_in_file" and "2" in problem["message"]


def test_likely_duplicates_are_warnings_not_rejections(collector, person_in, tmp_path):
    other = citizen_id("510104", "19900307", "457")
    rows = [good_row(0, doc_number=other, name="张三", sex="男")]
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", rows))
    assert (batch.accepted, batch.warnings, batch.rejected) == (1, 1, 0)
    row = ImportRow.objects.get(batch=batch)
    assert row.outcome == "warning" and row.problems[0]["rule"] == "person.likely_duplicate"
    assert f"#{person_in.pk}" in row.problems[0]["message"]


def test_rows_outside_the_jurisdiction_are_rejected(collector, tmp_path):
    rows = [good_row(0), good_row(1, community_code=NEIGHBOUR), good_row(2, community_code=OUT_COMMUNITY)]
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", rows))
    assert (batch.accepted, batch.rejected) == (1, 2)
    assert _problems(batch, 3) == [("community_code", "stay.community_in_scope")]
    assert not Stay.objects.exclude(community_id=IN_COMMUNITY).exists()


def test_another_jurisdictions_batch_does_not_exist_for_them(users, collector, tmp_path):
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", [good_row(0)]))
    outsider = users[Role.COUNTY_OFFICER]
    outsider.division_id = "510107"
    outsider.save()
    with pytest.raises(NotFound):
        services.import_result_read(actor=outsider, batch_id=batch.pk)
    assert services.import_result_read(actor=users[Role.CITY_OFFICER], batch_id=batch.pk).is_file()


def test_empty_rows_are_skipped_and_not_counted(collector, tmp_path):
    rows = [good_row(0), [""] * 15, [], ["  ", " "], good_row(1)]
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", rows))
    assert (batch.rows_done, batch.accepted, batch.rejected) == (2, 2, 0)


def test_excel_mangled_numbers_in_a_workbook(collector, tmp_path):
    legacy = "511321900307123"  # 15 digits: exact as a number
    rows = [
        good_row(0, doc_number=5.11321199001011e17),
        good_row(1, doc_number=int(legacy), sex="", birth_date=""),
        good_row(2, doc_number="5.11321E+17"),
    ]
    batch = run_import(collector, write_xlsx(tmp_path / "rows.xlsx", rows))
    assert (batch.accepted, batch.rejected) == (1, 2)
    assert _problems(batch, 2) == [("doc_number", "excel.number_precision")]
    assert _problems(batch, 4) == [("doc_number", "excel.scientific_notation")]
    person = Person.objects.get()
    assert person.doc_number.startswith("51132119900307123") and person.birth_date == dt.date(1990, 3, 7)
    assert _problems(batch, 3) == [("doc_number", "document.warning")]  # converted from 15 digits


def test_date_forms_in_a_workbook(collector, tmp_path):
    rows = [
        good_row(0, arrived_on=dt.datetime(2025, 3, 1, 9, 30)),
        good_row(1, arrived_on=45717),
        good_row(2, arrived_on="2025年3月1日"),
        good_row(3, arrived_on="2025/3/1"),
        good_row(4, arrived_on="20250301"),
    ]
    batch = run_import(collector, write_xlsx(tmp_path / "rows.xlsx", rows))
    assert batch.accepted == 5
    assert set(Stay.objects.values_list("arrived_on", flat=True)) == {dt.date(2025, 3, 1)}


def test_a_crashed_run_resumes_after_its_last_committed_chunk(collector, tmp_path, monkeypatch):
    rows = [good_row(i) for i in range(7)] + [good_row(1, name="重复")]
    path = write_csv(tmp_path / "rows.csv", rows)
    real_write = ChunkWriter.write
    calls = []

    def crash_on_third(self, chunk):
        calls.append(chunk[0].row_number)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return real_write(self, chunk)

    monkeypatch.setattr(ChunkWriter, "write", crash_on_third)
    with pytest.raises(RuntimeError):
        run_import(collector, path, chunk_size=2)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.last_row, batch.accepted, Person.objects.count()) == ("failed", 5, 4, 4)
    monkeypatch.setattr(ChunkWriter, "write", real_write)

    batch = services.stays_import(actor=collector, batch_id=batch.pk, chunk_size=2)
    assert (batch.status, batch.rows_done, batch.accepted, batch.rejected) == ("done", 8, 7, 1)
    assert Person.objects.count() == 7 and Stay.objects.count() == 7
    assert sorted(Stay.objects.values_list("source_ref", flat=True)) == sorted(
        f"import:{batch.pk}:{n}" for n in range(2, 9)
    )
    # The repeated number in the last row is caught although its first row was written by the crashed run.
    assert _problems(batch, 9) == [("doc_number", "import.duplicate_in_file")]
    starts = AuditEvent.objects.filter(action="import.start").order_by("id")
    assert [e.changes["resumed_after_row"] for e in starts] == [0, 5]
    assert audit_verify().ok


def test_running_a_finished_batch_again_changes_nothing(collector, tmp_path):
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", [good_row(0)]))
    events = AuditEvent.objects.count()
    again = services.stays_import(actor=collector, batch_id=batch.pk)
    assert again.status == "done" and AuditEvent.objects.count() == events and Stay.objects.count() == 1


def test_communities_may_be_given_by_name(collector, tmp_path):
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", [good_row(0, community_code="东御河沿社区")]))
    assert batch.accepted == 1 and Stay.objects.get().community_id == IN_COMMUNITY


def test_api_list_with_good_and_bad_rows_gives_each_rows_result(collector):
    from liuguan.collection.services import RegistrationRow
    from liuguan.registry.services import PersonInput, StayInput

    def reg(number, code=IN_COMMUNITY, name="王芳"):
        return RegistrationRow(
            person=PersonInput(doc_type="citizen_id", doc_number=number, name=name),
            stay=StayInput(community_code=code, arrived_on=dt.date(2025, 3, 1), reason="work", source_channel="import"),
        )

    batch, results = services.registrations_import(
        actor=collector,
        registrations=[reg("11010519491231002X"), reg("110105194912310021"), reg("440524188001010014", NEIGHBOUR)],
    )
    assert [r.status for r in results] == ["accepted", "rejected", "rejected"]
    assert results[0].person_id == Person.objects.get().pk and results[0].stay_id == Stay.objects.get().pk
    errors = [(p.field, p.rule) for p in results[2].problems if p.level == "error"]
    assert errors == [("community_code", "stay.community_in_scope")]
    assert (batch.accepted, batch.rejected, batch.file_format) == (1, 2, "json")


def test_a_likely_duplicate_outside_the_jurisdiction_is_not_named(collector, person_out, tmp_path):
    other = citizen_id("510104", "19850512", "246")
    rows = [good_row(0, doc_number=other, name="李四", sex="")]
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", rows))
    assert (batch.accepted, batch.warnings) == (1, 0)
