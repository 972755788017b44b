"""The writer thread that PostgreSQL imports use outside a transaction, forced on here for both databases."""

import pytest

from liuguan.accounts.roles import Role
from liuguan.collection import services
from liuguan.collection.models import ImportBatch
from liuguan.core.audit import audit_verify
from liuguan.core.models import AuditEvent
from liuguan.outflow.models import OutflowRecord
from liuguan.registry.models import Person, Stay

from ..conftest import good_row, write_csv

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _run(user, path, mode):
    with open(path, "rb") as handle:
        batch = services.import_batch_create(actor=user, file=handle, file_name=path.name, mode=mode).batch
    return services.stays_import(actor=user, batch_id=batch.pk, chunk_size=2, threaded=True, processes=2)


def test_valid_rows_through_the_writer_thread_and_worker_processes(users, tmp_path):
    rows = [good_row(i) for i in range(5)] + [good_row(5, name="")] + [good_row(0)]
    batch = _run(users[Role.COLLECTOR], write_csv(tmp_path / "rows.csv", rows), "valid")
    assert (batch.status, batch.accepted, batch.rejected, batch.rows_done) == ("done", 5, 2, 7)
    assert Person.objects.count() == 5 == Stay.objects.count()
    assert AuditEvent.objects.filter(action="import.chunk").count() == 4
    assert audit_verify().ok


def test_all_or_nothing_in_one_transaction_of_the_writer_thread(users, tmp_path):
    batch = _run(users[Role.COLLECTOR], write_csv(tmp_path / "rows.csv", [good_row(i) for i in range(5)]), "all")
    assert (batch.status, batch.accepted, Person.objects.count()) == ("done", 5, 5)
    assert ImportBatch.objects.get().status == "done"
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[-1] == "import.finish" and actions.count("import.chunk") == 3
    assert audit_verify().ok


def test_all_or_nothing_writes_nothing_when_the_writer_thread_fails(users, tmp_path, monkeypatch):
    from liuguan.collection.importing.write import ChunkWriter

    real = ChunkWriter.write
    calls = []

    def fail_on_second(self, chunk):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(self, chunk)

    monkeypatch.setattr(ChunkWriter, "write", fail_on_second)
    with pytest.raises(RuntimeError):
        _run(users[Role.COLLECTOR], write_csv(tmp_path / "rows.csv", [good_row(i) for i in range(5)]), "all")
    assert not Person.objects.exists() and not Stay.objects.exists()
    assert ImportBatch.objects.get().status == "failed"


def _values(person, stay):
    return (
        person.name,
        person.name_pinyin,
        person.birth_date,
        person.sex,
        person.hukou_code,
        person.hukou_address,
        person.phone,
        person.education,
        person.marital_status,
        person.source_channel,
        stay.community_id,
        stay.address,
        stay.reason,
        stay.arrived_on,
        stay.lag_days,
        stay.late,
        stay.source_channel,
    )


def test_rows_the_workers_render_land_exactly_as_rows_written_in_process(users, tmp_path):
    """On PostgreSQL the workers send valid rows as COPY text; backslashes, quotes and Chinese text survive it."""
    odd = {"address": 'C:\\门牌\\8号 "东"', "hukou_address": "四川省\\南充市"}
    rows = [good_row(0, **odd), good_row(1)]
    user = users[Role.COLLECTOR]
    _run(user, write_csv(tmp_path / "rows.csv", rows), "valid")
    rendered = {p.doc_number: _values(p, p.stays.get()) for p in Person.objects.all()}
    OutflowRecord.objects.all().delete()  # the hukou counties' records of these inflows
    Stay.objects.all().delete()
    Person.objects.all().delete()
    # The rows in another order: the same file again would be recognised as already imported.
    with open(write_csv(tmp_path / "again.csv", rows[::-1]), "rb") as handle:
        batch = services.import_batch_create(actor=user, file=handle, file_name="again.csv", mode="valid").batch
    services.stays_import(actor=user, batch_id=batch.pk, threaded=False, processes=0)
    in_process = {p.doc_number: _values(p, p.stays.get()) for p in Person.objects.all()}
    assert rendered == in_process and len(rendered) == 2
    assert 'C:\\门牌\\8号 "东"' in {values[11] for values in rendered.values()}
